/**
 * The probe manager on manual timers: Kubernetes' defaults and thresholds, httpGet delivered
 * in-process, startup probes gating the others, timeouts, tcpSocket and exec probes. Probes over a
 * real port are in probe-manager-tcp.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../platform/index.js';
import { FakeRuntime } from '../testing/fake-runtime.js';
import { ProbeManager } from './probe-manager.js';
import { ManualTimers, settle } from './testing/manual-timers.js';
import { recorder, startProbedContainer } from './testing/probed-container.js';
import { ProbeableRuntime } from './testing/probeable-runtime.js';

let dir: string;
let timers: ManualTimers;
let manager: ProbeManager;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'edge-node-probes-'));
  timers = new ManualTimers();
  manager = new ProbeManager({ logger: silentLogger(), timers });
});
afterEach(async () => {
  manager.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Starts a container with `spec` on `rt`, its log in this test's directory. */
const runContainer = (rt: FakeRuntime, spec: Record<string, unknown>): ReturnType<typeof startProbedContainer> =>
  startProbedContainer(rt, spec, dir);

async function probe(rt: FakeRuntime, spec: Record<string, unknown>) {
  const { id, container } = await runContainer(rt, spec);
  const rec = recorder();
  const set = manager.add(
    { runtime: rt, containerId: id, container, podIP: '10.0.0.7', startedAtMs: timers.now(), label: 'default/p/main' },
    rec.listener,
  );
  return { id, set, ...rec };
}

describe('probe manager', () => {
  it('uses Kubernetes defaults: a 10 s period, and readiness drops after 3 failures in a row', async () => {
    const rt = new ProbeableRuntime();
    let status = 200;
    rt.answer = () => status;
    const { log } = await probe(rt, { readinessProbe: { httpGet: { path: '/ready', port: 8080 } } });
    await timers.advance(0);
    expect(log).toEqual(['ready=true']); // first attempt at once (initialDelaySeconds 0)
    status = 503;
    await timers.advance(9_999);
    expect(rt.hits('p', '/ready')).toBe(1);
    await timers.advance(1);
    await timers.advance(10_000);
    expect(log.at(-1)).toBe('unhealthy readiness: HTTP probe failed with statuscode: 503');
    expect(log).not.toContain('ready=false'); // two failures: still ready (failureThreshold 3)
    await timers.advance(10_000);
    expect(log.filter((l) => l.startsWith('unhealthy')).length).toBe(3);
    expect(log.at(-1)).toBe('ready=false');
    status = 200;
    await timers.advance(10_000);
    expect(log.at(-1)).toBe('ready=true'); // successThreshold 1
    expect(rt.hits('p', '/ready')).toBe(5);
  });

  it('delivers httpGet in-process with the kubelet headers, honours initialDelaySeconds and successThreshold', async () => {
    const rt = new ProbeableRuntime();
    const { log } = await probe(rt, {
      readinessProbe: {
        httpGet: { path: '/healthz', port: 'http', httpHeaders: [{ name: 'X-Probe', value: 'yes' }] },
        initialDelaySeconds: 5,
        periodSeconds: 2,
        successThreshold: 2,
      },
    });
    await timers.advance(4_999);
    expect(rt.requests.length).toBe(0);
    await timers.advance(1);
    expect(rt.requests.length).toBe(1);
    expect(log).toEqual([]); // one success of the two needed
    const req = rt.requests[0]!.req;
    expect(rt.requests[0]!.port).toBe(8080); // the named port resolved
    expect(req).toMatchObject({ method: 'GET', path: '/healthz', authority: '10.0.0.7:8080', scheme: 'http' });
    expect(Object.fromEntries(req.headers)).toMatchObject({
      'user-agent': 'kube-probe/edgeplane',
      'x-probe': 'yes',
      host: '10.0.0.7:8080',
    });
    await timers.advance(2_000);
    expect(log).toEqual(['ready=true']);
  });

  it('restarts nothing by itself: a liveness failure at the threshold is reported once and its timers stop', async () => {
    const rt = new ProbeableRuntime();
    rt.answer = () => 500;
    const { log, set } = await probe(rt, {
      livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1, failureThreshold: 2 },
      readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
    });
    expect(manager.activeProbes()).toBe(2);
    expect(timers.pending).toBe(2); // one timer per probe
    await timers.advance(1_000);
    expect(log).toContain('ready=true');
    expect(log.filter((l) => l.includes('liveness'))).toEqual([
      'unhealthy liveness: HTTP probe failed with statuscode: 500',
      'unhealthy liveness: HTTP probe failed with statuscode: 500',
      'failed liveness: HTTP probe failed with statuscode: 500',
    ]);
    expect(set?.activeCount).toBe(0);
    expect(manager.activeProbes()).toBe(0);
    expect(timers.pending).toBe(0);
    await timers.advance(10_000);
    expect(rt.hits('p', '/healthz')).toBe(2);
  });

  it('lets a startup probe gate liveness and readiness, and stops probing once started', async () => {
    const rt = new ProbeableRuntime();
    let up = false;
    rt.answer = (_c, req) => (req.path === '/started' ? (up ? 200 : 503) : 200);
    const { log } = await probe(rt, {
      startupProbe: { httpGet: { path: '/started', port: 8080 }, periodSeconds: 1, failureThreshold: 10 },
      livenessProbe: { httpGet: { path: '/live', port: 8080 }, periodSeconds: 1 },
      readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 1 },
    });
    await timers.advance(3_000);
    expect(rt.hits('p', '/started')).toBe(4);
    expect(rt.hits('p', '/live') + rt.hits('p', '/ready')).toBe(0);
    expect(log.every((l) => l.startsWith('unhealthy startup'))).toBe(true);
    up = true;
    await timers.advance(1_000);
    expect(log).toContain('started');
    await timers.advance(1_000);
    expect(log.indexOf('ready=true')).toBeGreaterThan(log.indexOf('started'));
    await timers.advance(3_000);
    expect(rt.hits('p', '/started')).toBe(5);
    expect(rt.hits('p', '/live')).toBeGreaterThanOrEqual(3);
  });

  it('reports a startup probe that never passes as failed', async () => {
    const rt = new ProbeableRuntime();
    rt.answer = () => 503;
    const { log } = await probe(rt, {
      startupProbe: { httpGet: { port: 8080 }, periodSeconds: 1, failureThreshold: 3 },
      livenessProbe: { httpGet: { port: 8080 } },
    });
    await timers.advance(2_000);
    expect(log.at(-1)).toBe('failed startup: HTTP probe failed with statuscode: 503');
    expect(rt.requests.every((r) => r.req.path === '/')).toBe(true);
  });

  it('fails an attempt at timeoutSeconds and sends no new request while the old one is still queued', async () => {
    const rt = new ProbeableRuntime();
    let release: (status: number) => void = () => undefined;
    rt.answer = () => new Promise<number>((r) => (release = r));
    const { log } = await probe(rt, {
      readinessProbe: {
        httpGet: { path: '/slow', port: 8080 },
        timeoutSeconds: 2,
        periodSeconds: 5,
        failureThreshold: 1,
      },
    });
    await timers.advance(0);
    await timers.advance(1_999);
    expect(log).toEqual([]);
    await timers.advance(1);
    expect(log).toEqual([
      'unhealthy readiness: Get "http://10.0.0.7:8080/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
    ]);
    await timers.advance(5_000);
    expect(rt.hits('p', '/slow')).toBe(1); // still stuck: no second request piled up behind it
    expect(log.length).toBe(2);
    release(200);
    await settle();
    rt.answer = () => 200;
    await timers.advance(5_000);
    expect(rt.hits('p', '/slow')).toBe(2);
    expect(log.at(-1)).toBe('ready=true');
  });

  it('maps tcpSocket on an in-process endpoint to "instantiated and accepting requests"', async () => {
    const rt = new ProbeableRuntime();
    const { id, log } = await probe(rt, {
      readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
    });
    await timers.advance(0);
    expect(log).toEqual(['ready=true']);
    rt.exit(id, 1);
    await timers.advance(1_000);
    expect(log.slice(1)).toEqual([
      'unhealthy readiness: dial tcp 10.0.0.7:8080: component is not accepting requests (exited)',
      'ready=false',
    ]);
  });

  it('runs exec probes through Runtime.exec and fails them clearly on a runtime without exec', async () => {
    const rt = new ProbeableRuntime();
    rt.execAnswer = (_c, cmd) =>
      cmd.includes('--fail')
        ? { exitCode: 1, stdout: 'unhealthy: disk full\n', stderr: '' }
        : { exitCode: 0, stdout: 'ok', stderr: '' };
    const good = await probe(rt, {
      readinessProbe: { exec: { command: ['check'] }, periodSeconds: 1, timeoutSeconds: 3 },
    });
    const bad = await probe(rt, {
      livenessProbe: { exec: { command: ['check', '--fail'] }, periodSeconds: 1, failureThreshold: 1 },
    });
    await timers.advance(0);
    expect(good.log).toEqual(['ready=true']);
    expect(bad.log).toEqual(['unhealthy liveness: unhealthy: disk full', 'failed liveness: unhealthy: disk full']);
    expect(rt.execs.map((e) => [e.command.join(' '), e.timeoutMs])).toEqual([
      ['check', 3000],
      ['check --fail', 1000],
    ]);

    const noExec = new FakeRuntime({ name: 'plain' });
    const none = await probe(noExec, { readinessProbe: { exec: { command: ['check'] }, failureThreshold: 1 } });
    await timers.advance(0);
    expect(none.log).toEqual(['unhealthy readiness: exec probes not supported by runtime plain']);
  });
});

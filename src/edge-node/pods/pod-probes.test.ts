import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Container } from '../../api/index.js';
import type { Pod, PodRef, PodStatus } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { ProbeManager } from '../probes/index.js';
import { ManualTimers } from '../probes/testing/manual-timers.js';
import { ProbeableRuntime } from '../probes/testing/probeable-runtime.js';
import { testPod, waitFor } from '../testing/fake-hub.js';
import type { PodWorkers } from './pod-workers.js';
import { testPodWorkers } from '../testing/test-pod-workers.js';

let dir: string;
let workers: PodWorkers | undefined;
let timers: ManualTimers;
const reports: Array<{ pod: PodRef; status: PodStatus }> = [];
const events: Array<{ pod: string; type: string; reason: string; message: string }> = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'edge-node-pod-probes-'));
  timers = new ManualTimers();
  reports.length = 0;
  events.length = 0;
});
afterEach(async () => {
  await workers?.stop();
  workers = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function setup(rt: ProbeableRuntime): Promise<PodWorkers> {
  workers = await testPodWorkers(dir, [rt], {
    probes: new ProbeManager({ logger: silentLogger(), timers }),
    reportStatus: (pods) => (reports.push(...pods), true),
    reportEvent: (pod, type, reason, message) => void events.push({ pod: pod.name, type, reason, message }),
  });
  return workers;
}

/** A test pod whose container carries `probes` (defaulted by the API schema). */
function probedPod(
  name: string,
  probes: Record<string, unknown>,
  restartPolicy: 'Always' | 'OnFailure' | 'Never' = 'Always',
): Pod {
  const pod = testPod(name, { restartPolicy, ports: [{ name: 'http', containerPort: 8080 }] });
  const c = pod.spec.containers[0]!;
  pod.spec.containers[0] = Container.parse({ ...c, ...probes });
  return pod;
}

const last = (name: string) => reports.filter((r) => r.pod.name === name).at(-1)?.status;
const cs = (name: string) => last(name)?.containerStatuses?.[0];
const cond = (name: string, type: string) => last(name)?.conditions?.find((c) => c.type === type)?.status;
const reasons = (name: string) => events.filter((e) => e.pod === name).map((e) => `${e.reason}: ${e.message}`);

describe('pod workers with probes', () => {
  it('keeps a container unready until its readiness probe passes, and flips Ready with it', async () => {
    const rt = new ProbeableRuntime();
    let ready = false;
    rt.answer = () => (ready ? 200 : 503);
    const w = await setup(rt);
    w.upsert(
      probedPod('slow', {
        readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1, failureThreshold: 1 },
      }),
    );
    await waitFor(() => last('slow')?.phase === 'Running', 5000, 'running');
    await timers.advance(0);
    await waitFor(() => reasons('slow').some((r) => r.startsWith('Unhealthy')), 5000, 'an Unhealthy event');
    expect(cs('slow')).toMatchObject({ ready: false, started: true });
    expect(cond('slow', 'Ready')).toBe('False');
    expect(cond('slow', 'ContainersReady')).toBe('False');
    expect(reasons('slow')).toContain('Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 503');
    ready = true;
    await timers.advance(1_000);
    await waitFor(() => cond('slow', 'Ready') === 'True', 5000, 'Ready');
    expect(cs('slow')?.ready).toBe(true);
    expect(cond('slow', 'ContainersReady')).toBe('True');
    ready = false;
    await timers.advance(1_000);
    await waitFor(() => cond('slow', 'Ready') === 'False', 5000, 'unready again');
    expect(cs('slow')?.restartCount).toBe(0); // readiness never restarts anything
  });

  it('kills and restarts a container that fails liveness, recording why', async () => {
    const rt = new ProbeableRuntime();
    const failing = new Set<string>();
    rt.answer = (c) => (failing.has(c.config.id) ? 500 : 200);
    const w = await setup(rt);
    w.upsert(
      probedPod('live', {
        livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1, failureThreshold: 2 },
      }),
    );
    const first = await waitFor(() => rt.running('live')[0], 5000, 'first instance');
    await timers.advance(0);
    failing.add(first.config.id);
    await timers.advance(1_000);
    expect(cs('live')?.restartCount ?? 0).toBe(0); // one failure of two
    await timers.advance(1_000);
    const second = await waitFor(
      () => rt.running('live').find((c) => c.config.id !== first.config.id),
      5000,
      'restarted instance',
    );
    await waitFor(() => cs('live')?.restartCount === 1 && cs('live')?.state?.running, 5000, 'restartCount 1');
    const term = cs('live')?.lastState?.terminated;
    expect(term).toMatchObject({
      exitCode: 137,
      reason: 'Error',
      message: 'Container main failed liveness probe: HTTP probe failed with statuscode: 500',
    });
    expect(term?.startedAt).toBeDefined();
    expect(term?.finishedAt).toBeDefined();
    expect(reasons('live')).toEqual(
      expect.arrayContaining([
        'Unhealthy: Liveness probe failed: HTTP probe failed with statuscode: 500',
        'Killing: Container main failed liveness probe, will be restarted',
      ]),
    );
    const killing = reasons('live').indexOf('Killing: Container main failed liveness probe, will be restarted');
    expect(
      reasons('live')
        .slice(0, killing)
        .filter((r) => r.startsWith('Unhealthy')).length,
    ).toBe(2);
    expect(rt.calls).toContain('stop live/main grace=30000');
    // The new instance is probed afresh; failing again, it is killed again (and backs off).
    await timers.advance(1_000);
    const before = rt.hits('live', '/healthz');
    await timers.advance(1_000);
    expect(rt.hits('live', '/healthz')).toBeGreaterThan(before);
    expect(rt.requests.at(-1)?.containerId).toBe(second.config.id);
    failing.add(second.config.id);
    await timers.advance(2_000);
    await waitFor(() => cs('live')?.restartCount === 2, 5000, 'restartCount 2');
    expect(reasons('live').filter((r) => r.startsWith('BackOff')).length).toBeGreaterThanOrEqual(1);
  });

  it('uses the probe terminationGracePeriodSeconds, and with restartPolicy Never leaves the pod Failed', async () => {
    const rt = new ProbeableRuntime();
    rt.answer = () => 500;
    const w = await setup(rt);
    w.upsert(probedPod('once', { livenessProbe: { tcpSocket: { port: 8080 } } }, 'Never'));
    w.upsert(
      probedPod(
        'never',
        {
          livenessProbe: {
            httpGet: { port: 8080 },
            periodSeconds: 1,
            failureThreshold: 1,
            terminationGracePeriodSeconds: 2,
          },
        },
        'Never',
      ),
    );
    await waitFor(() => rt.running('never')[0], 5000, 'running');
    await timers.advance(0);
    await waitFor(() => last('never')?.phase === 'Failed', 5000, 'Failed');
    expect(cs('never')?.state?.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    expect(cs('never')?.restartCount).toBe(0);
    expect(reasons('never')).toContain('Killing: Container main failed liveness probe');
    expect(rt.calls).toContain('stop never/main grace=2000');
    expect(last('once')?.phase).toBe('Running'); // tcpSocket: instantiated and running is alive
  });

  it('reports started=false and not ready until the startup probe passes; a failed one restarts', async () => {
    const rt = new ProbeableRuntime();
    let up = false;
    rt.answer = () => (up ? 200 : 503);
    const w = await setup(rt);
    w.upsert(probedPod('boot', { startupProbe: { httpGet: { port: 8080 }, periodSeconds: 1, failureThreshold: 5 } }));
    await waitFor(() => last('boot')?.phase === 'Running', 5000, 'running');
    await timers.advance(2_000);
    expect(cs('boot')).toMatchObject({ started: false, ready: false });
    expect(cond('boot', 'Ready')).toBe('False');
    up = true;
    await timers.advance(1_000);
    await waitFor(() => cs('boot')?.started === true && cs('boot')?.ready === true, 5000, 'started and ready');
    expect(cond('boot', 'Ready')).toBe('True');

    w.upsert(
      probedPod('stuck', { startupProbe: { exec: { command: ['check'] }, periodSeconds: 1, failureThreshold: 2 } }),
    );
    rt.execAnswer = () => ({ exitCode: 1, stdout: '', stderr: 'not yet\n' });
    await waitFor(() => rt.running('stuck')[0], 5000, 'stuck running');
    await timers.advance(1_000);
    await waitFor(() => cs('stuck')?.restartCount === 1, 5000, 'restarted after startup failure');
    expect(reasons('stuck')).toEqual(
      expect.arrayContaining([
        'Unhealthy: Startup probe failed: not yet',
        'Killing: Container main failed startup probe, will be restarted',
      ]),
    );
  });
});

/**
 * Health probes end to end: a real hub and two real edge-node processes on 127.0.11.2-3, the
 * purpose-built probe-demo component (examples/wasm-apps), driven through edgectl and NodePorts
 * 30100-30102. probe-demo turns unhealthy / ready at times given in its env (every instance of a
 * container agrees on them, however many the runtime runs), so each test knows to the millisecond
 * when a pod's health changed. Readiness gating is measured, not assumed: every request of the load
 * is timestamped with the pod that answered it, and pod transitions are timed from a watch on the hub.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cluster,
  ROOT,
  runLoad,
  until,
  watchCollection,
  type LoadSample,
  type WatchRecorder,
  kind,
} from './support/cluster.js';
import type { KubeObject } from '../src/api/index.js';

const NODES = [
  { name: 'pn-1', address: '127.0.11.2', labels: { zone: 'a' } },
  { name: 'pn-2', address: '127.0.11.3', labels: { zone: 'b' } },
];
const [A, B] = [NODES[0]!.address, NODES[1]!.address];
const DEMO = join(ROOT, 'examples/wasm-apps/probe-demo/dist/probe-demo.wasm');
const PORT = { web: 30100, liveness: 30101, slow: 30102 } as const;
/**
 * Propagation allowance on top of one probe period: node → hub → endpoints controller → every node.
 * The time bounds below are functional limits (a probe period of 1 s must act within a few periods,
 * a 10 s back-off must not be 20 s), generous enough for a machine at load 15 (CI runs measured up to
 * 1.1 s for what takes 0.1 s on a quiet one); timing goals live in bench/.
 */
const SLACK_MS = 3000;

interface ContainerStatusLike {
  ready: boolean;
  started?: boolean;
  restartCount: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: { startedAt?: string };
    terminated?: { exitCode: number; reason?: string; message?: string; startedAt?: string; finishedAt?: string };
  };
  lastState?: ContainerStatusLike['state'];
}
interface PodLike extends KubeObject {
  metadata: { name: string; deletionTimestamp?: string };
  status?: {
    phase?: string;
    conditions?: Array<{ type: string; status: string }>;
    containerStatuses?: ContainerStatusLike[];
  };
}
interface EventLike extends KubeObject {
  involvedObject: { name?: string };
  reason?: string;
  message?: string;
  count?: number;
  type?: string;
}

const cond = (p: PodLike | undefined, type: string): string | undefined =>
  p?.status?.conditions?.find((c) => c.type === type)?.status;
const isReady = (p: PodLike | undefined): boolean => p?.status?.phase === 'Running' && cond(p, 'Ready') === 'True';
const cs0 = (p: PodLike | undefined): ContainerStatusLike | undefined => p?.status?.containerStatuses?.[0];

/** A bare probe-demo pod labelled `app`, with POD_NAME and `extra` env, on a node of `zone`. */
function demoPod(
  name: string,
  app: string,
  zone: string,
  env: Record<string, string>,
  probes: Record<string, unknown>,
): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app } },
    spec: {
      nodeSelector: { zone },
      containers: [
        {
          name: 'demo',
          image: DEMO,
          ports: [{ name: 'http', containerPort: 8080 }],
          env: [
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            ...Object.entries(env).map(([k, v]) => ({ name: k, value: v })),
          ],
          ...probes,
        },
      ],
    },
  };
}
const service = (app: string, nodePort: number): object => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: app },
  spec: { type: 'NodePort', selector: { app }, ports: [{ port: 80, targetPort: 8080, nodePort }] },
});
/**
 * An HTTP probe every second. Its timeout is 5 s, not the default 1 s: with #failure=1 a single probe
 * slowed past 1 s on a loaded machine took a healthy replica out (a CI-like run saw every slow-1
 * request answered 503); the failures the tests plan are 500s, answered at once.
 */
const httpProbe = (path: string, extra: Record<string, unknown> = {}, port: number | string = 8080): object => ({
  httpGet: { path, port },
  periodSeconds: 1,
  timeoutSeconds: 5,
  ...extra,
});
const served = (samples: LoadSample[], pod: string): LoadSample[] => samples.filter((s) => s.pod === pod);
/** The message of a container killed by the liveness probe of the 'liveness' test: a 500, or a timeout. */
const LIVENESS_KILL =
  /^Container demo failed liveness probe: (HTTP probe failed with statuscode: 500|Get "http:\/\/[\d.]+:8080\/healthz": context deadline exceeded.*)$/;

describe('health probes on real nodes', () => {
  const cluster = new Cluster(['--node-grace-period', '2s', '--heartbeat-interval', '500ms']);
  let watch: WatchRecorder<PodLike>;

  const pod = async (name: string): Promise<PodLike | undefined> =>
    (await cluster.client.list<PodLike>(kind('pods'), { namespace: 'default', fieldSelector: `metadata.name=${name}` }))
      .items[0];
  const events = async (podName: string): Promise<EventLike[]> =>
    (await cluster.client.list<EventLike>(kind('events'), { namespace: 'default' })).items.filter(
      (e) => e.involvedObject.name === podName,
    );
  /** When the hub's watch first showed pod `name` matching `pred` (ms). */
  const firstAt = (name: string, pred: (p: PodLike) => boolean, after = 0): number | undefined =>
    watch.events.find((e) => e.at >= after && e.object.metadata.name === name && pred(e.object))?.at;
  const apply = async (docs: object[]): Promise<void> => {
    const r = await cluster.edgectl(['apply', '-f', '-'], docs.map((d) => JSON.stringify(d)).join('\n---\n'));
    expect(r.code, r.stderr).toBe(0);
  };
  const allReady = async (names: string[]): Promise<boolean> => (await Promise.all(names.map(pod))).every(isReady);
  /**
   * Applies `docs(from)`, a pod whose health changes at `from` (its env carries it), planned `lead` ms
   * ahead, and waits for `up`. A loaded machine may bring the pod up too late for its plan (under
   * `marginMs` before it): the pod `name` is then deleted and planned again with twice the lead (up to
   * 40 s), rather than the test failing, or every run waiting the longest. Returns `from`.
   */
  const planAhead = async (
    name: string,
    docs: (from: number) => object[],
    up: () => Promise<boolean>,
    marginMs: number,
  ): Promise<number> => {
    for (let lead = 10_000; ; lead *= 2) {
      const from = Date.now() + lead;
      await apply(docs(from));
      await until(`${name} up, planned ${lead} ms ahead`, up, 60_000, 200);
      if (Date.now() < from - marginMs) return from;
      expect(lead, `${name} came up too slowly even when planned ${lead} ms ahead`).toBeLessThan(40_000);
      const r = await cluster.edgectl(['delete', 'pod', name, '--grace-period=0', '--force']);
      expect(r.code, r.stderr).toBe(0);
      await until(`${name} gone before it is planned again`, async () => (await pod(name)) === undefined, 60_000);
    }
  };

  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-examples.mjs'), 'probe-demo'], { stdio: 'pipe' });
    await cluster.start(NODES);
    watch = watchCollection<PodLike>(cluster, kind('pods'), 'default');
    const ready = httpProbe('/ready', { failureThreshold: 1 }, 'http');
    await apply([
      service('slow', PORT.slow),
      demoPod('slow-1', 'slow', 'a', {}, { readinessProbe: ready }),
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'exec-ok', labels: { app: 'exec' } },
        spec: {
          containers: [
            { name: 'demo', image: DEMO, readinessProbe: { exec: { command: ['check'] }, periodSeconds: 1 } },
          ],
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'exec-fail', labels: { app: 'exec' } },
        spec: {
          containers: [
            { name: 'demo', image: DEMO, readinessProbe: { exec: { command: ['check', '--fail'] }, periodSeconds: 1 } },
          ],
        },
      },
    ]);
  }, 120_000);

  afterAll(async () => {
    await watch?.stop();
    await cluster.stop();
  });

  it('takes a replica that turns unready out of rotation on every node within one probe period, and back once it passes', async () => {
    // web-3 fails /healthz from `from` to `to`; the others never do. Readiness: period 1 s, #failure=1.
    // web-3 comes last, once the image is on its node, so its window is planned from a short start.
    const readiness = { readinessProbe: httpProbe('/healthz', { failureThreshold: 1 }) };
    const urls = [`http://${A}:${PORT.web}/`, `http://${B}:${PORT.web}/`];
    await apply([
      service('web', PORT.web),
      demoPod('web-1', 'web', 'a', {}, readiness),
      demoPod('web-2', 'web', 'b', {}, readiness),
    ]);
    await until('web-1 and web-2 Ready', () => allReady(['web-1', 'web-2']), 60_000);
    const WINDOW_MS = 6000;
    const from = await planAhead(
      'web-3',
      (at) => [
        demoPod(
          'web-3',
          'web',
          'b',
          { UNHEALTHY_FROM: String(at), UNHEALTHY_UNTIL: String(at + WINDOW_MS) },
          readiness,
        ),
      ],
      async () => {
        // Ready, and answering through both NodePorts.
        if (!(await allReady(['web-1', 'web-2', 'web-3']))) return false;
        const probe: LoadSample[] = [];
        let n = 0;
        await runLoad(urls, 2, () => n++ >= 24, probe);
        return new Set(probe.map((s) => s.pod)).size === 3;
      },
      1000,
    );
    const to = from + WINDOW_MS;

    const samples: LoadSample[] = [];
    let stop = false;
    const running = runLoad(urls, 4, () => stop, samples);
    await until(
      'web-3 serving again after it recovered',
      () => served(samples, 'web-3').some((s) => s.t0 > to),
      30_000,
      50,
    );
    // A few more requests after its return, so an error right after it would show.
    const seen = samples.length;
    await until('more requests after web-3 returned', () => samples.length >= seen + 20, 30_000, 20);
    stop = true;
    await running;

    expect(samples.filter((s) => s.status !== 200)).toEqual([]); // nobody saw an error all along
    expect(served(samples, 'web-3').some((s) => s.t1 < from)).toBe(true); // it was in rotation before
    const whileFailing = served(samples, 'web-3').filter((s) => s.t0 >= from && s.t0 < to);
    // From the moment its /healthz failed (exact: the component's own clock) to the last request that
    // reached it; this includes the wait for the next probe (≤ 1 period) and the propagation.
    const failToLast = Math.max(from, ...whileFailing.map((s) => s.t1)) - from;
    const unreadySeen = firstAt('web-3', (p) => cond(p, 'Ready') === 'False', from);
    const readyAgain = firstAt('web-3', isReady, to);
    const others = samples.filter((s) => s.pod !== 'web-3' && s.t0 >= from + failToLast && s.t0 < to);
    console.log(
      `[probes] load: ${samples.length} requests; web-3 unhealthy → last request reaching it ${failToLast} ms (${whileFailing.length} reached it meanwhile); ` +
        `hub saw Ready=False after ${unreadySeen === undefined ? '?' : unreadySeen - from} ms and Ready again ${readyAgain === undefined ? '?' : readyAgain - to} ms after it recovered; ` +
        `${others.length} requests served by web-1/web-2 while it was out`,
    );
    expect(failToLast).toBeLessThanOrEqual(1000 + SLACK_MS); // periodSeconds: 1
    expect(others.length).toBeGreaterThan(20);
    expect(unreadySeen).toBeDefined();
    expect(readyAgain! - to).toBeLessThanOrEqual(1000 + SLACK_MS);
    expect(served(samples, 'web-3').some((s) => s.t0 > to)).toBe(true); // back in rotation
    expect(cs0(await pod('web-3'))?.restartCount).toBe(0); // readiness never restarts
    // One Event per message, its count folding the repeats. On a loaded machine a probe may also have
    // timed out (its own Event, "context deadline exceeded"): the 500s must be there all the same.
    const unhealthy = (await events('web-3')).filter((e) => e.reason === 'Unhealthy');
    for (const e of unhealthy) expect(e.message).toMatch(/^Readiness probe failed: /);
    const on500 = unhealthy.find((e) => e.message === 'Readiness probe failed: HTTP probe failed with statuscode: 500');
    expect(on500, JSON.stringify(unhealthy)).toBeDefined();
    expect(on500?.count ?? 0).toBeGreaterThanOrEqual(2);
  }, 240_000);

  it('sends no traffic to a slow starter until its readiness probe passes', async () => {
    await until('slow-1 Ready', async () => isReady(await pod('slow-1')), 60_000);
    const urls = [`http://${A}:${PORT.slow}/`, `http://${B}:${PORT.slow}/`];
    const samples: LoadSample[] = [];
    let stop = false;
    const running = runLoad(urls, 2, () => stop, samples);
    await until('the load running', () => samples.length >= 10, 30_000, 20);
    // slow-2 joins the Service but /ready fails until READY_AT: running, not ready, for its first seconds.
    // The pod must be running well before it (its start, image download over TLS included, took 4.1 s
    // in one loaded CI run): planned again, later, if it was not running 1 s before it.
    let plannedAt = 0;
    const readyAt = await planAhead(
      'slow-2',
      (at) => {
        // A new plan: what the load and the watch saw of an earlier slow-2 is left out.
        samples.length = 0;
        plannedAt = Date.now();
        return [
          demoPod(
            'slow-2',
            'slow',
            'b',
            { READY_AT: String(at) },
            { readinessProbe: httpProbe('/ready', { failureThreshold: 1 }, 'http') },
          ),
        ];
      },
      async () => cs0(await pod('slow-2'))?.state?.running !== undefined,
      1000,
    );
    await until('slow-2 serving', () => served(samples, 'slow-2').length >= 5, 30_000, 50);
    stop = true;
    await running;

    expect(samples.filter((s) => s.status !== 200)).toEqual([]);
    expect(samples.filter((s) => s.ready !== true)).toEqual([]); // not one request reached it while not ready
    const runningAt = firstAt('slow-2', (p) => cs0(p)?.state?.running !== undefined, plannedAt);
    const readySeen = firstAt('slow-2', isReady, plannedAt);
    const firstServed = Math.min(...served(samples, 'slow-2').map((s) => s.t0));
    expect(runningAt).toBeDefined();
    expect(readySeen).toBeDefined();
    console.log(
      `[probes] slow starter: running ${readyAt - runningAt!} ms before READY_AT; Ready ${readySeen! - readyAt} ms after it; first request ${firstServed - readyAt} ms after it`,
    );
    expect(runningAt!).toBeLessThan(readyAt - 1000); // it did run unready for a while
    expect(
      cs0(watch.events.find((e) => e.object.metadata.name === 'slow-2' && e.at >= runningAt!)?.object),
    ).toMatchObject({ started: true, ready: false });
    expect(firstServed).toBeGreaterThanOrEqual(readyAt);
    expect(readySeen! - readyAt).toBeLessThanOrEqual(1000 + SLACK_MS);
    expect(served(samples, 'slow-1').length).toBeGreaterThan(0);
  }, 240_000);

  it('restarts a container that fails liveness, with the restart count rising and describe explaining why', async () => {
    // /healthz fails from `from` on, for good: killed after 2 failures (period 1 s), restarted at
    // once, killed again, then restarted after the 10 s back-off.
    let plannedAt = 0;
    const from = await planAhead(
      'liveness',
      (at) => {
        plannedAt = Date.now();
        return [
          service('liveness', PORT.liveness),
          demoPod(
            'liveness',
            'liveness',
            'b',
            { UNHEALTHY_FROM: String(at) },
            { livenessProbe: httpProbe('/healthz', { failureThreshold: 2 }) },
          ),
        ];
      },
      async () => isReady(await pod('liveness')),
      0,
    );
    const first = await until(
      'restartCount 1',
      async () => {
        const p = await pod('liveness');
        return (cs0(p)?.restartCount ?? 0) >= 1 ? p : undefined;
      },
      20_000,
    );
    const term = cs0(first)?.lastState?.terminated;
    expect(term).toMatchObject({ exitCode: 137, reason: 'Error' });
    // The kill names the failure that reached the threshold: the 500, or on a loaded machine a probe
    // that timed out (the 500's own Unhealthy Event is checked below all the same).
    expect(term?.message).toMatch(LIVENESS_KILL);
    expect(term?.startedAt).toBeDefined();
    expect(term?.finishedAt).toBeDefined();
    const table = await until(
      'CrashLoopBackOff in edgectl get pods',
      async () => {
        const r = await cluster.edgectl(['get', 'pods', 'liveness']);
        return /CrashLoopBackOff/.test(r.stdout) ? r.stdout : undefined;
      },
      15_000,
      200,
    );
    // RESTARTS stays 1 during the back-off: the count moves when the next instance starts.
    expect(table).toMatch(/liveness\s+0\/1\s+CrashLoopBackOff\s+1 \(/);
    await until('restartCount 2', async () => (cs0(await pod('liveness'))?.restartCount ?? 0) >= 2, 30_000);
    // (From this plan on: an earlier 'liveness' pod, deleted as too slow to start, had its own restarts.)
    // The list above can read that version before the test's own watch has delivered it (a CI run
    // found no such event yet, and measured NaN): wait for the watch too, which is in order, so the
    // earlier versions read below are there as well.
    const rc2 = await until(
      'restartCount 2 on the watch',
      () => firstAt('liveness', (p) => (cs0(p)?.restartCount ?? 0) >= 2, plannedAt),
      5_000,
      20,
    );
    const rc1 = firstAt('liveness', (p) => (cs0(p)?.restartCount ?? 0) >= 1, plannedAt)!;
    const backoff = firstAt('liveness', (p) => cs0(p)?.state?.waiting?.reason === 'CrashLoopBackOff', plannedAt)!;
    console.log(
      `[probes] liveness: unhealthy → first restart ${rc1 - from} ms (period 1 s, #failure=2); second kill → restart ${rc2 - backoff} ms (back-off 10 s)`,
    );
    expect(rc1 - from).toBeGreaterThanOrEqual(1000);
    expect(rc1 - from).toBeLessThanOrEqual(2000 + SLACK_MS);
    expect(rc2 - backoff).toBeGreaterThanOrEqual(9500);
    expect(rc2 - backoff).toBeLessThanOrEqual(10_000 + SLACK_MS);

    const ev = await events('liveness');
    expect(ev.find((e) => e.reason === 'Killing')).toMatchObject({
      type: 'Normal',
      message: 'Container demo failed liveness probe, will be restarted',
    });
    expect(ev.find((e) => e.reason === 'Killing')?.count ?? 0).toBeGreaterThanOrEqual(2);
    // (A probe that timed out on a loaded machine has an Event of its own beside the 500s.)
    expect(
      ev.find(
        (e) =>
          e.reason === 'Unhealthy' && e.message === 'Liveness probe failed: HTTP probe failed with statuscode: 500',
      ),
    ).toMatchObject({ type: 'Warning' });
    expect(ev.find((e) => e.reason === 'BackOff')?.message).toBe(
      'Back-off restarting failed container demo (Error 137)',
    );

    const d = await cluster.edgectl(['describe', 'pod', 'liveness']);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(
      /\n {4}Liveness: +http-get http:\/\/:8080\/healthz delay=0s timeout=5s period=1s #success=1 #failure=2\n/,
    );
    expect(d.stdout).toMatch(
      new RegExp(
        ` {4}Last State: +Terminated\\n {6}Reason: +Error\\n {6}Message: +${LIVENESS_KILL.source.slice(1, -1)}\\n {6}Exit Code: +137\\n`,
      ),
    );
    expect(d.stdout).toMatch(/Restart Count: +[2-9]\n/);
    expect(d.stdout).toMatch(/Normal +Killing .*Container demo failed liveness probe, will be restarted/);
    expect(d.stdout).toMatch(/Warning +Unhealthy .*Liveness probe failed: HTTP probe failed with statuscode: 500/);
    expect(d.stdout).toMatch(/Warning +BackOff .*Back-off restarting failed container demo/);
  }, 240_000);

  it("runs exec probes as a fresh instance of the component's wasi:cli/run", async () => {
    await until('exec-ok Ready', async () => isReady(await pod('exec-ok')), 30_000);
    const bad = await until(
      'exec-fail probed',
      async () =>
        (await events('exec-fail')).find((e) => e.reason === 'Unhealthy' && /check: unhealthy/.test(e.message ?? '')),
      30_000,
    );
    expect(bad.message).toMatch(/^Readiness probe failed: probe-demo check: unhealthy \(args: .*--fail.*\)$/);
    const p = await pod('exec-fail');
    expect(p?.status?.phase).toBe('Running');
    expect(cond(p, 'Ready')).toBe('False');
    const d = await cluster.edgectl(['describe', 'pod', 'exec-fail']);
    expect(d.stdout).toMatch(/Readiness: +exec \[check --fail\] delay=0s timeout=1s period=1s #success=1 #failure=3/);
  }, 60_000);
});

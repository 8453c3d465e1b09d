/**
 * The fleet scenarios: registration, a Deployment rollout, one endpoint's readiness change under a
 * Service, and a reconnect storm (hub `kill -9` + restart). Each returns its figures; none asserts
 * anything about timing (the fleet test asserts functional results on top of them).
 */
import { isServiceFrame, pickCounts, type FrameCounts } from './counters.js';
import { FLEET_APP, fleetDeployment, fleetService, probeNamespace } from './manifests.js';
import { waitFor, type FleetRun } from './run.js';
import {
  ApiSampler,
  LoopSampler,
  ProcSampler,
  type LoopWindow,
  type Percentiles,
  type ProcWindow,
} from './samplers.js';

/** Hub load over a scenario. */
export interface LoadFigures {
  hub: ProcWindow;
  /** The harness process (it shares the machine's cores with the hub). */
  harness: ProcWindow;
  loop: LoopWindow;
}

async function withLoad<T>(run: FleetRun, body: () => Promise<T>): Promise<T & { load: LoadFigures }> {
  const proc = new ProcSampler(() => run.hub.pid);
  const harness = new ProcSampler(() => run.harness.pid);
  const loop = new LoopSampler(() => run.http);
  proc.start();
  harness.start();
  loop.start();
  try {
    const result = await body();
    return { ...result, load: { hub: proc.stop(), harness: harness.stop(), loop: await loop.stop() } };
  } finally {
    proc.stop();
    harness.stop();
    await loop.stop();
  }
}

export interface RegisterFigures {
  join: { ms: number; stored: number; csr: number; keygenCsr: number; failed: number };
  /** Dial start → every node welcomed (harness) and Ready (hub). */
  allConnectedMs: number;
  allReadyMs: number;
  drops: number;
  failedDials: number;
  load: LoadFigures;
  idle: ProcWindow;
}

/** Joins (credentials) and connects every node; then watches the hub idle for `idleMs`. */
export async function register(run: FleetRun, timeoutMs: number, idleMs = 10_000): Promise<RegisterFigures> {
  const n = run.opts.nodes;
  const join = await run.harness.send({ cmd: 'join', concurrency: 16 });
  run.log(
    `joined ${n} nodes in ${join.ms} ms (stored ${join.stored}, csr ${join.csr}, new key ${join.keygenCsr}, failed ${join.failed})`,
  );
  if (join.failed > 0)
    throw new Error(
      `${join.failed} nodes could not join: ${(await run.harness.send({ cmd: 'stats' })).tally.errors.join('; ')}`,
    );
  const t0 = Date.now();
  const r = await withLoad(run, async () => {
    await run.harness.send({ cmd: 'start', rampMs: 0 });
    let allConnectedMs = 0;
    await waitFor(
      `${n} nodes Ready`,
      async () => {
        const s = await run.harness.send({ cmd: 'stats' });
        if (allConnectedMs === 0 && s.connected >= n) allConnectedMs = Date.now() - t0;
        return s.connected >= n && run.watch.ready >= n ? true : undefined;
      },
      timeoutMs,
    );
    return { allConnectedMs, allReadyMs: Date.now() - t0 };
  });
  const s = await run.harness.send({ cmd: 'stats' });
  run.log(`registered ${n} nodes: all connected in ${r.allConnectedMs} ms, all Ready in ${r.allReadyMs} ms`);
  const idle = new ProcSampler(() => run.hub.pid);
  idle.start();
  await new Promise((res) => setTimeout(res, idleMs)); // a measurement window, not a wait for a condition
  return { join, ...r, drops: s.tally.drops, failedDials: s.tally.failedDials, idle: idle.stop() };
}

export interface DeployFigures {
  replicas: number;
  complete: boolean;
  /** Create → every pod delivered to its node (bound), and → the hub's Deployment reports all Ready. */
  allBoundMs: number;
  allReadyMs: number;
  boundPerSec: number;
  readyPerSec: number;
  api: { get: Percentiles; list: Percentiles; write: Percentiles; errors: number };
  flaps: number;
  drops: number;
  load: LoadFigures;
}

interface DeploymentStatus {
  status?: { readyReplicas?: number; updatedReplicas?: number };
}

/** Creates the Deployment of `replicas` and follows it until all are Ready (or `timeoutMs`). */
export async function deploy(run: FleetRun, replicas: number, timeoutMs: number): Promise<DeployFigures> {
  await run.http.json('POST', '/api/v1/namespaces', probeNamespace());
  const before = await run.harness.send({ cmd: 'stats' });
  run.watch.resetFlaps();
  const firstNode = `${run.prefix}-00000`;
  const api = new ApiSampler(() => run.http, {
    get: `/apis/apps/v1/namespaces/default/deployments/${FLEET_APP}`,
    list: `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(`app=${FLEET_APP}`)}&fieldSelector=${encodeURIComponent(`spec.nodeName=${firstNode}`)}`,
    patch: '/api/v1/namespaces/fleet-probe',
  });
  const t0 = Date.now();
  await run.http.json('POST', '/apis/apps/v1/namespaces/default/deployments', fleetDeployment(replicas));
  const r = await withLoad(run, async () => {
    api.start();
    let allBoundMs = 0;
    let allReadyMs = 0;
    let seen = 0;
    let ready = 0;
    let lastLog = 0;
    await waitFor(
      `${replicas} pods Ready`,
      async () => {
        const s = await run.harness.send({ cmd: 'stats' });
        seen = s.tally.podsSeen - before.tally.podsSeen;
        if (allBoundMs === 0 && seen >= replicas) allBoundMs = s.tally.lastPodAt - t0;
        const d = await run.http
          .call('GET', `/apis/apps/v1/namespaces/default/deployments/${FLEET_APP}`)
          .catch(() => undefined);
        if (d?.status === 200) ready = (JSON.parse(d.body) as DeploymentStatus).status?.readyReplicas ?? 0;
        if (Date.now() - lastLog > 10_000) {
          lastLog = Date.now();
          run.log(
            `  ${Math.round((Date.now() - t0) / 1000)} s: ${seen} bound, ${ready} Ready (hub), ${s.connected}/${s.nodes} connected, ${s.tally.drops} drops`,
          );
        }
        if (ready >= replicas) allReadyMs = Date.now() - t0;
        return allReadyMs > 0 ? true : undefined;
      },
      timeoutMs,
      500,
    ).catch((err: unknown) =>
      run.log(`  ${err instanceof Error ? err.message : String(err)}: ${seen} bound, ${ready} Ready`),
    );
    const elapsed = (Date.now() - t0) / 1000;
    return {
      complete: allReadyMs > 0,
      allBoundMs,
      allReadyMs,
      boundPerSec: allBoundMs > 0 ? replicas / (allBoundMs / 1000) : seen / elapsed,
      readyPerSec: allReadyMs > 0 ? replicas / (allReadyMs / 1000) : ready / elapsed,
      api: await api.stop(),
    };
  });
  const after = await run.harness.send({ cmd: 'stats' });
  return { replicas, ...r, flaps: run.watch.flapCount, drops: after.tally.drops - before.tally.drops };
}

/** What one Service change cost the fleet. */
export interface ServiceChangeFigures {
  /** Service frames the fleet received in the window, by type. */
  frames: FrameCounts;
  perNodeBytes: number;
  perNodeFrames: number;
  maxNodeBytes: number;
  /** Nodes that received any Service frame in the window. */
  nodesReached: number;
  /** Change → the last Service frame reached a node (every node has seen the change); 0: none came. */
  lastFrameMs: number;
  /** Whether the Service frames went quiet within the timeout (false: a reconnect loop, say). */
  settled: boolean;
  /** Sessions dropped, and Service frames a node could not apply (it asked for a resync), in the window. */
  drops: number;
  resyncs: number;
  /** Of the drops: sessions the harness ended because the hub's pong was late (by the agent's rule). */
  pongTimeouts: number;
  /** Nodes connected at the end of the window. */
  connected: number;
  /** What the hub warned about in the window (message, count), most frequent first. */
  hubWarnings: Array<[string, number]>;
  load: LoadFigures;
}

export interface EndpointFigures {
  endpoints: number;
  /** The Service created over the Deployment: every node is sent its route. */
  create: ServiceChangeFigures;
  /** One endpoint's readiness flip (Ready → not Ready) under it. */
  flip: ServiceChangeFigures;
}

/**
 * Waits until the fleet's received Service frames (`isServiceFrame`) stop changing for `quietMs`;
 * returns when that began. Only those: at 1,000 nodes pongs and status traffic never go quiet.
 */
async function settle(run: FleetRun, quietMs: number, timeoutMs: number): Promise<number> {
  let last = -1;
  let since = Date.now();
  let logged = 0;
  await waitFor(
    'the frames to nodes to settle',
    async () => {
      const s = await run.harness.send({ cmd: 'stats' });
      const service = pickCounts(s.framesIn, isServiceFrame);
      const bytes = Object.values(service).reduce((a, c) => a + c.bytes, 0);
      if (bytes !== last) {
        last = bytes;
        since = Date.now();
        // What keeps arriving, every 5 s while it does (the frames by type, since the last reset).
        if (Date.now() - logged >= 5000) {
          logged = Date.now();
          const parts = Object.entries(service).map(([t, c]) => `${t} ${c.frames}/${Math.round(c.bytes / 1024)} KB`);
          run.log(`  service frames so far: ${parts.join(', ')}; drops ${s.tally.drops}`);
        }
        return undefined;
      }
      // Quiet after some frames, or nothing at all for 10 s (a hub that sends nothing for the change).
      const quiet = Date.now() - since;
      return quiet >= quietMs && (bytes > 0 || quiet >= 10_000) ? true : undefined;
    },
    timeoutMs,
    200,
  );
  return since;
}

/** Runs `change` and measures the Service frames it sends the fleet until they go quiet for `quietMs`. */
async function serviceChange(
  run: FleetRun,
  change: () => Promise<void>,
  quietMs: number,
  timeoutMs: number,
): Promise<ServiceChangeFigures> {
  const n = run.opts.nodes;
  await run.harness.send({ cmd: 'resetCounters' });
  const before = await run.harness.send({ cmd: 'stats' });
  run.hub.takeWarnings();
  const t0 = Date.now();
  const r = await withLoad(run, async () => {
    await change();
    const settled = await settle(run, quietMs, timeoutMs).then(
      () => true,
      (err: unknown) => {
        run.log(`  ${err instanceof Error ? err.message : String(err)}`);
        return false;
      },
    );
    return { settled };
  });
  const s = await run.harness.send({ cmd: 'stats' });
  const frames = pickCounts(s.framesIn, isServiceFrame);
  const bytes = Object.values(frames).reduce((a, c) => a + c.bytes, 0);
  const count = Object.values(frames).reduce((a, c) => a + c.frames, 0);
  return {
    frames,
    perNodeBytes: bytes / n,
    perNodeFrames: count / n,
    maxNodeBytes: s.maxNodeServiceBytes,
    nodesReached: s.nodesWithServiceFrames,
    lastFrameMs: s.lastServiceFrameAt > t0 ? s.lastServiceFrameAt - t0 : 0,
    settled: r.settled,
    drops: s.tally.drops - before.tally.drops,
    resyncs: s.tally.resyncs - before.tally.resyncs,
    pongTimeouts: s.tally.pongTimeouts - before.tally.pongTimeouts,
    connected: s.connected,
    hubWarnings: run.hub.takeWarnings(),
    load: r.load,
  };
}

/**
 * A Service over the Deployment (every node is sent a route of `replicas` endpoints); then one
 * endpoint flips to not Ready: what did each node get, how long until all had it, what did it cost
 * the hub (its longest event-loop block), and did any session drop?
 */
export async function endpointChange(run: FleetRun, replicas: number, timeoutMs = 120_000): Promise<EndpointFigures> {
  const create = await serviceChange(
    run,
    async () => void (await run.http.json('POST', '/api/v1/namespaces/default/services', fleetService())),
    2000,
    timeoutMs,
  );
  run.log(
    `  Service created: ${Math.round(create.perNodeBytes)} B per node, last frame after ${create.lastFrameMs} ms, ${create.drops} drops`,
  );
  for (const [msg, count] of create.hubWarnings.slice(0, 5)) run.log(`  hub warned ${count}×: ${msg}`);
  let flipped: { uid: string } | undefined;
  const flip = await serviceChange(
    run,
    async () => {
      flipped = (await run.harness.send({ cmd: 'setReady', ready: false })) ?? undefined;
      if (!flipped) throw new Error('no pod to flip: the fleet holds none');
    },
    2000,
    Math.min(timeoutMs, 60_000),
  );
  if (flipped) await run.harness.send({ cmd: 'setReady', ready: undefined, uid: flipped.uid });
  await settle(run, 1000, 60_000).catch(() => undefined);
  return { endpoints: replicas, create, flip };
}

export interface StormFigures {
  /** kill -9 → the restarted hub serves. */
  listenMs: number;
  /** Restart → every node welcomed again, and Ready on the hub (and the Deployment all Ready). */
  allConnectedMs: number;
  allReadyMs: number;
  complete: boolean;
  placement: { before: number; after: number; moved: number; missing: number; added: number };
  maxNotReadyMs: number;
  flaps: number;
  load: LoadFigures;
}

/** `kill -9` of the hub and a restart on the same data dir: how long until the fleet is whole again? */
export async function storm(run: FleetRun, replicas: number, timeoutMs: number): Promise<StormFigures> {
  const n = run.opts.nodes;
  await run.harness.send({ cmd: 'markAssignments' });
  run.watch.resetFlaps();
  const t0 = Date.now();
  await run.hub.kill9();
  await run.hub.start(timeoutMs);
  const listenMs = Date.now() - t0;
  await run.reconnectHttp();
  const t1 = Date.now();
  const r = await withLoad(run, async () => {
    let allConnectedMs = 0;
    let allReadyMs = 0;
    await waitFor(
      'the fleet back Ready',
      async () => {
        const s = await run.harness.send({ cmd: 'stats' });
        if (allConnectedMs === 0 && s.connected >= n) allConnectedMs = Date.now() - t1;
        if (s.connected < n || run.watch.ready < n) return undefined;
        if (replicas > 0) {
          const d = await run.http
            .call('GET', `/apis/apps/v1/namespaces/default/deployments/${FLEET_APP}`)
            .catch(() => undefined);
          if (d?.status !== 200 || ((JSON.parse(d.body) as DeploymentStatus).status?.readyReplicas ?? 0) < replicas)
            return undefined;
        }
        allReadyMs = Date.now() - t1;
        return true;
      },
      timeoutMs,
    ).catch((err: unknown) => run.log(`  ${err instanceof Error ? err.message : String(err)}`));
    return { allConnectedMs, allReadyMs, complete: allReadyMs > 0 };
  });
  const placement = await run.harness.send({ cmd: 'diffAssignments' });
  return { listenMs, ...r, placement, maxNotReadyMs: run.watch.longestNotReadyMs(), flaps: run.watch.flapCount };
}

/** The hub's own view at the end: fleet pods listed once, counted bound, Ready and terminating. */
export async function podCensus(
  run: FleetRun,
): Promise<{ pods: number; bound: number; ready: number; terminating: number }> {
  const list = await run.http.json<{
    items: Array<{
      metadata: { deletionTimestamp?: string };
      spec: { nodeName?: string };
      status?: { conditions?: Array<{ type: string; status: string }> };
    }>;
  }>('GET', `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(`app=${FLEET_APP}`)}`);
  let bound = 0;
  let ready = 0;
  let terminating = 0;
  for (const p of list.items) {
    if (p.spec.nodeName) bound++;
    if (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ready++;
    if (p.metadata.deletionTimestamp) terminating++;
  }
  return { pods: list.items.length, bound, ready, terminating };
}

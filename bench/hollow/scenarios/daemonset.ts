/** The DaemonSet scenario: one pod on every node, followed until the hub reports them all Ready. */
import { FLEET_DAEMON, fleetDaemonSet } from '../manifests.js';
import { waitFor, type FleetRun } from '../run.js';
import type { Percentiles } from '../samplers.js';
import { beginScenario, scenarioApiSampler, scenarioFlaps, withLoad, type LoadFigures } from './load.js';

/** What the DaemonSet took: time and rate to every node's pod delivered and Ready, API latency meanwhile. */
export interface DaemonSetFigures {
  nodes: number;
  complete: boolean;
  /** Create → every node was sent its pod, and → the hub's DaemonSet reports them all Ready. */
  allDeliveredMs: number;
  allReadyMs: number;
  deliveredPerSec: number;
  readyPerSec: number;
  api: { get: Percentiles; list: Percentiles; write: Percentiles; errors: number };
  flaps: number;
  drops: number;
  load: LoadFigures;
}

interface DaemonSetStatus {
  status?: { desiredNumberScheduled?: number; numberReady?: number };
}

/** Creates the fleet DaemonSet and follows it until a pod is Ready on each of `nodes` (or `timeoutMs`). */
export async function daemonSet(run: FleetRun, nodes: number, timeoutMs: number): Promise<DaemonSetFigures> {
  const before = await beginScenario(run);
  const path = `/apis/apps/v1/namespaces/default/daemonsets/${FLEET_DAEMON}`;
  const api = scenarioApiSampler(run, path, FLEET_DAEMON);
  const t0 = Date.now();
  await run.http.json('POST', '/apis/apps/v1/namespaces/default/daemonsets', fleetDaemonSet());
  const r = await withLoad(run, async () => {
    api.start();
    let allDeliveredMs = 0;
    let allReadyMs = 0;
    let seen = 0;
    let ready = 0;
    let lastLog = 0;
    await waitFor(
      `${nodes} DaemonSet pods Ready`,
      async () => {
        const s = await run.harness.send({ cmd: 'progress' });
        seen = s.tally.podsSeen - before.podsSeen;
        if (allDeliveredMs === 0 && seen >= nodes) allDeliveredMs = s.tally.lastPodAt - t0;
        const d = await run.http.call('GET', path).catch(() => undefined);
        if (d?.status === 200) ready = (JSON.parse(d.body) as DaemonSetStatus).status?.numberReady ?? 0;
        if (Date.now() - lastLog > 10_000) {
          lastLog = Date.now();
          run.log(`  ${Math.round((Date.now() - t0) / 1000)} s: ${seen} delivered, ${ready} Ready (hub)`);
        }
        if (ready >= nodes) allReadyMs = Date.now() - t0;
        return allReadyMs > 0 ? true : undefined;
      },
      timeoutMs,
      250,
    ).catch((err: unknown) =>
      run.log(`  ${err instanceof Error ? err.message : String(err)}: ${seen} delivered, ${ready} Ready`),
    );
    const elapsed = (Date.now() - t0) / 1000;
    return {
      complete: allReadyMs > 0,
      allDeliveredMs,
      allReadyMs,
      deliveredPerSec: allDeliveredMs > 0 ? nodes / (allDeliveredMs / 1000) : seen / elapsed,
      readyPerSec: allReadyMs > 0 ? nodes / (allReadyMs / 1000) : ready / elapsed,
      api: await api.stop(),
    };
  });
  return { nodes, ...r, ...(await scenarioFlaps(run, before)) };
}

/** The reconnect-storm scenario: the hub killed (`kill -9`) and restarted on the same data dir. */
import { FLEET_APP } from '../manifests.js';
import { waitFor, type FleetRun } from '../run.js';
import type { DeploymentStatus } from './deploy.js';
import { withLoad, type LoadFigures } from './load.js';
import { stormDialGroups, type DialGroup } from './storm-dials.js';

/** How long the restart took, what moved, and how long nodes stayed NotReady. */
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
  /** The nodes marked NotReady and the rest, against their dials. */
  dials: { notReady: DialGroup; ready: DialGroup };
}

/** `kill -9` of the hub and a restart on the same data dir: how long until the fleet is whole again? */
export async function storm(run: FleetRun, replicas: number, timeoutMs: number): Promise<StormFigures> {
  const n = run.opts.nodes;
  const markAt = Date.now();
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
        const s = await run.harness.send({ cmd: 'progress' });
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
  const records = await run.harness.send({ cmd: 'dialReport' });
  const dials = stormDialGroups(records, run.watch.notReadyNodes(), markAt, listenMs);
  return { listenMs, ...r, placement, maxNotReadyMs: run.watch.longestNotReadyMs(), flaps: run.watch.flapCount, dials };
}

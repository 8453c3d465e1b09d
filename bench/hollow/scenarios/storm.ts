/** The reconnect-storm scenario: the hub killed (`kill -9`) and restarted on the same data dir. */
import type { FleetRun } from '../run.js';
import { waitFleetWhole, type FleetAfter } from './fleet-whole.js';
import { withLoad, type LoadFigures } from './load.js';
import { stormDialGroups, type DialGroup } from './storm-dials.js';

/** How long the restart took, what moved, and how long nodes stayed NotReady. */
export interface StormFigures extends FleetAfter {
  /** kill -9 → the restarted hub serves. */
  listenMs: number;
  load: LoadFigures;
  /** The nodes marked NotReady and the rest, against their dials. */
  dials: { notReady: DialGroup; ready: DialGroup };
}

/** `kill -9` of the hub and a restart on the same data dir: how long until the fleet is whole again? */
export async function storm(run: FleetRun, replicas: number, timeoutMs: number): Promise<StormFigures> {
  const markAt = Date.now();
  await run.harness.send({ cmd: 'markAssignments' });
  run.watch.resetFlaps();
  const t0 = Date.now();
  await run.hub.kill9();
  await run.hub.start(timeoutMs);
  const listenMs = Date.now() - t0;
  await run.reconnectHttp();
  const t1 = Date.now();
  const r = await withLoad(run, () => waitFleetWhole(run, replicas, t1, timeoutMs));
  const placement = await run.harness.send({ cmd: 'diffAssignments' });
  const records = await run.harness.send({ cmd: 'dialReport' });
  const dials = stormDialGroups(records, run.watch.notReadyNodes(), markAt, listenMs);
  return { listenMs, ...r, placement, maxNotReadyMs: run.watch.longestNotReadyMs(), flaps: run.watch.flapCount, dials };
}

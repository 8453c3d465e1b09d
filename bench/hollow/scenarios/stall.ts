/**
 * The stall scenario: the hub stands still (SIGSTOP) for longer than the grace period and goes on
 * (SIGCONT), as a heap snapshot, a debugger or a container throttled to nothing would make it.
 * The nodes were alive all along: none should be marked NotReady, no pod should move.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FleetRun } from '../run.js';
import { waitFleetWhole, type FleetAfter } from './fleet-whole.js';

/** How long the fleet took to be whole again, and whether anything was marked NotReady or moved. */
export interface StallFigures extends FleetAfter {
  stallMs: number;
}

/** SIGSTOP of the hub for `stallMs`, then SIGCONT: is the fleet left alone? */
export async function stall(
  run: FleetRun,
  replicas: number,
  stallMs: number,
  timeoutMs: number,
): Promise<StallFigures> {
  await run.harness.send({ cmd: 'markAssignments' });
  run.watch.resetFlaps();
  run.hub.pause(true);
  try {
    await sleep(stallMs);
  } finally {
    run.hub.pause(false);
  }
  const resumed = Date.now();
  // The node watch still holds the state from before the stall: wait until the hub answers a request
  // (it runs again). The Ready count may still lag by the watch's delivery; a marking shows as a flip.
  await run.http.call('GET', '/api/v1/nodes?limit=1');
  const whole = await waitFleetWhole(run, replicas, resumed, timeoutMs);
  // A late marking would come with the lifecycle's next ticks (every second): give them a few. Pods
  // would move only after the eviction timeout (30 s by default): NotReady flips are the signal here.
  await sleep(5_000);
  const placement = await run.harness.send({ cmd: 'diffAssignments' });
  return {
    stallMs,
    ...whole,
    placement,
    maxNotReadyMs: run.watch.longestNotReadyMs(),
    flaps: run.watch.flapCount,
  };
}

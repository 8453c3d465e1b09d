/** Waiting for the fleet to be whole again after a disruption (the storm's restart, a stall). */
import type { AssignmentDiff } from '../fleet.js';
import { FLEET_APP } from '../manifests.js';
import { waitFor, type FleetRun } from '../run.js';
import type { DeploymentStatus } from './deploy.js';

/** From `since`: when every node was connected, and when all were Ready (with the Deployment's `replicas`). */
export interface FleetWhole {
  allConnectedMs: number;
  allReadyMs: number;
  complete: boolean;
}

/** The fleet after a disruption: whole again when, pods moved, and how long nodes were NotReady. */
export interface FleetAfter extends FleetWhole {
  placement: AssignmentDiff;
  maxNotReadyMs: number;
  flaps: number;
}

/**
 * Waits (up to `timeoutMs`) until every node is connected and Ready on the hub and, when `replicas`
 * is not 0, the fleet Deployment has them all Ready; a timeout is logged and leaves `complete` false.
 */
export async function waitFleetWhole(
  run: FleetRun,
  replicas: number,
  since: number,
  timeoutMs: number,
): Promise<FleetWhole> {
  const n = run.opts.nodes;
  let allConnectedMs = 0;
  let allReadyMs = 0;
  await waitFor(
    'the fleet back Ready',
    async () => {
      const s = await run.harness.send({ cmd: 'progress' });
      if (allConnectedMs === 0 && s.connected >= n) allConnectedMs = Date.now() - since;
      if (s.connected < n || run.watch.ready < n) return undefined;
      if (replicas > 0) {
        const d = await run.http
          .call('GET', `/apis/apps/v1/namespaces/default/deployments/${FLEET_APP}`)
          .catch(() => undefined);
        if (d?.status !== 200 || ((JSON.parse(d.body) as DeploymentStatus).status?.readyReplicas ?? 0) < replicas)
          return undefined;
      }
      allReadyMs = Date.now() - since;
      return true;
    },
    timeoutMs,
  ).catch((err: unknown) => run.log(`  ${err instanceof Error ? err.message : String(err)}`));
  return { allConnectedMs, allReadyMs, complete: allReadyMs > 0 };
}

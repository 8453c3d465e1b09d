/** The hub's census of the fleet's pods at the end of a run. */
import { FLEET_APP } from '../manifests.js';
import type { FleetRun } from '../run.js';

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

/** The endpoint scenario: a Service over the fleet Deployment, then one endpoint's readiness flip under it. */
import { fleetService } from '../manifests.js';
import type { FleetRun } from '../run.js';
import { serviceChange, settle, type ServiceChangeFigures } from './service-change.js';

/** What the Service creation and the endpoint flip each sent the fleet. */
export interface EndpointFigures {
  endpoints: number;
  /** The Service created over the Deployment: every node is sent its route. */
  create: ServiceChangeFigures;
  /** One endpoint's readiness flip (Ready → not Ready) under it. */
  flip: ServiceChangeFigures;
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

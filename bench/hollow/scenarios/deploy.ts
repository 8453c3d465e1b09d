/** The rollout scenario: a Deployment of R replicas, followed until the hub reports all Ready. */
import { FLEET_APP, fleetDeployment } from '../manifests.js';
import { waitFor, type FleetRun } from '../run.js';
import type { Percentiles } from '../samplers.js';
import { beginScenario, scenarioApiSampler, scenarioFlaps, withLoad, type LoadFigures } from './load.js';

/** What the rollout took: time and rate to bound and Ready, API latency during it, flaps and drops. */
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

/** The part of the fleet Deployment the scenarios read: how many replicas the hub reports Ready. */
export interface DeploymentStatus {
  status?: { readyReplicas?: number; updatedReplicas?: number };
}

/** Creates the Deployment of `replicas` and follows it until all are Ready (or `timeoutMs`). */
export async function deploy(run: FleetRun, replicas: number, timeoutMs: number): Promise<DeployFigures> {
  const before = await beginScenario(run);
  const api = scenarioApiSampler(run, `/apis/apps/v1/namespaces/default/deployments/${FLEET_APP}`, FLEET_APP);
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
        const s = await run.harness.send({ cmd: 'progress' });
        seen = s.tally.podsSeen - before.podsSeen;
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
  return { replicas, ...r, ...(await scenarioFlaps(run, before)) };
}

/** Pod workers for tests: node-a on loopback, a fresh local state in `dir`, short back-offs and status batches. */
import { silentLogger } from '../../platform/index.js';
import type { Runtime } from '../../api/index.js';
import { PodWorkers, type PodWorkersDeps } from '../pods/pod-workers.js';
import { LocalState } from '../state/local-state.js';

/** Builds pod workers over `runtimes` with test settings; `deps` adds the reporters (and overrides any setting). */
export async function testPodWorkers(
  dir: string,
  runtimes: Runtime[],
  deps: Pick<PodWorkersDeps, 'reportStatus'> & Partial<PodWorkersDeps>,
): Promise<PodWorkers> {
  const state = await LocalState.create({ dataDir: dir, logger: silentLogger() });
  return new PodWorkers({
    runtimes,
    node: { nodeName: 'node-a', hostIP: '127.0.0.1' },
    dataDir: dir,
    clock: { now: () => Date.now() },
    logger: silentLogger(),
    state,
    backoff: { initialMs: 40, maxMs: 160, resetAfterMs: 600_000 },
    statusBatchMs: 5,
    reportGone: () => undefined,
    ...deps,
  });
}

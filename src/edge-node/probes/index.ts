/** Health probes (liveness, readiness, startup) of the edge node. */
export {
  ProbeManager,
  ContainerProbes,
  type ProbeListener,
  type ProbedContainer,
  type ProbeManagerDeps,
} from './probe-manager.js';
export { ProbeWorker, type ProbeWorkerOwner } from './probe-worker.js';
export { runProbe, resolveProbePort } from './prober.js';
export { PROBE_USER_AGENT } from './http-probe.js';
export { realProbeTimers, type ProbeOutcome, type ProbeTarget, type ProbeTimers, type ProbeType } from './types.js';

/** Public surface of the edge-node agent. */
export { Agent, type AgentDeps } from './agent.js';
export {
  HubSession,
  gatewayUrl,
  type HubSessionDeps,
  type SessionEvent,
  type SessionBackoff,
  type Welcome,
} from './session/hub-session.js';
export { PodWorkers, type PodWorkersDeps } from './pods/pod-workers.js';
export { PodWorker, type PodWorkerDeps, type TerminationReason } from './pods/pod-worker.js';
export {
  ProbeManager,
  ContainerProbes,
  runProbe,
  realProbeTimers,
  type ProbeListener,
  type ProbedContainer,
  type ProbeOutcome,
  type ProbeTarget,
  type ProbeTimers,
  type ProbeType,
} from './probes/index.js';
export { DEFAULT_RESTART_BACKOFF, type RestartBackoffOptions } from './pods/container-slot.js';
export { computePodStatus, podPhase, type PodView, type ContainerView } from './pods/pod-status.js';
export { LocalState } from './state/local-state.js';
export { LogService, type PodLogSource } from './logs/log-service.js';
export {
  ServiceMesh,
  MeshServer,
  NodePortProxy,
  RoundRobinPicker,
  type ServiceMeshDeps,
  type EndpointPicker,
  type LocalTarget,
  type PickContext,
  type PickOutcome,
  type ServiceEndpoint,
} from './mesh/index.js';
export { Backoff, formatDuration, type BackoffOptions } from './backoff.js';
export { buildNodeInfo, detectCapacity, kubeArch, type NodeCapacity } from './node-info.js';

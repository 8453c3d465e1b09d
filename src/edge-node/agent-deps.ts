/** What an `Agent` is built from: the node's settings, its runtimes, and its mesh or the mesh's settings. */
import type { Clock, Logger, Runtime } from '../api/index.js';
import type {
  EndpointPicker,
  ListenerLimits,
  LocalPortRange,
  MeshTlsMaterial,
  MeshTransport,
  ServiceMesh,
  ServiceMeshDeps,
} from './mesh/index.js';
import type { NodeMetricsOptions } from './metrics/index.js';
import type { NodeCapacity } from './node-info.js';
import type { RestartBackoffOptions } from './pods/container-slot.js';
import type { SessionBackoff, SessionEvent } from './session/hub-session.js';
import { HubEndpoints } from './session/hub-endpoints.js';

/** Dependencies of the agent. */
export interface AgentDeps {
  /**
   * Hub base URL (`http(s)://host:port` or `ws(s)://…`), or the several hubs of one cluster (the
   * session moves between them; share the `HubEndpoints` to follow it elsewhere).
   */
  hubUrl: string | readonly string[] | HubEndpoints;
  /** Join token presented as `Authorization: Bearer` (a plain-HTTP hub); absent with `hubTls`. */
  token?: string;
  /** TLS material of each dial to the hub (its CA, the node's current certificate and key). */
  hubTls?: () => { ca?: string; cert?: string; key?: string };
  /** The pinned hub CA bundle (PEM) the hub's certificate must chain to; undefined for plain HTTP. */
  hubCa?: string;
  nodeName: string;
  /** Address NodePorts and the mesh listen on (and peers reach this node at). */
  address: string;
  dataDir: string;
  labels: Record<string, string>;
  runtimes: Runtime[];
  logger: Logger;
  clock?: Clock;
  /** Overrides of the detected capacity (cpu, memory quantities; max pods). */
  capacity?: Partial<NodeCapacity>;
  /** Test overrides of back-offs and batching. */
  backoff?: {
    session?: Partial<SessionBackoff>;
    restart?: Partial<RestartBackoffOptions>;
    statusBatchMs?: number;
    logPollMs?: number;
  };
  /** Lifecycle events of the hub session (the CLI exits on an early `unauthorized` and on `refused`). */
  onSessionEvent?(ev: SessionEvent): void;
  /**
   * Memory-backed dir for configMap/secret volumes and `medium: Memory` emptyDirs: a tmpfs outside the
   * data dir (default {@link defaultRunDir}: under `/dev/shm`, one per data dir).
   */
  runDir?: string;
  /** The key sealing the node's ConfigMaps and Secrets (default `<data-dir>/config/node.key`, created on first start). */
  configKeyFile?: string;
  /** Interval of the emptyDir `sizeLimit` check (default 10 s). */
  volumeCheckMs?: number;
  /** How long to wait for the hub's answer before restoring pods from local state (default 10 s). */
  localRestoreDelayMs?: number;
  /**
   * The node's Service mesh. The edge-node program builds it first, before the runtimes (the Wasm
   * runtime is built with its `outgoingHttp`); without one the agent builds it from the settings below.
   * Optional here, never absent from an `Agent`: every node has a mesh by design (DESIGN.md: the agent
   * serves Service traffic), since any pod may call a Service and any node serves every NodePort. A
   * node with no Services costs only the mesh's listeners; there is no mesh-less mode to test.
   */
  mesh?: ServiceMesh;
  /** Mesh port; 0 picks a free one (tests). Only when the agent builds the mesh. */
  meshPort?: number;
  /** Deadline of one request to a workload (default 15 s). Only when the agent builds the mesh. */
  requestTimeoutMs?: number;
  /** Load-balancing strategy (default `LeastLoadedPicker`). Only when the agent builds the mesh. */
  picker?: EndpointPicker;
  /** Ports of the containers' local Service listeners (default 20000-29999). Only when the agent builds the mesh. */
  localPortRange?: LocalPortRange;
  /** Limits of the NodePort, mesh and local-proxy listeners. Only when the agent builds the mesh. */
  listenerLimits?: Partial<ListenerLimits>;
  /**
   * How mesh hops are secured (default: {@link meshTransportFor} the hub URL). Only when the agent
   * builds the mesh.
   */
  meshTransport?: MeshTransport;
  /** The node's TLS material for an mTLS mesh, when known at creation. Only when the agent builds the mesh. */
  meshTls?: MeshTlsMaterial;
  /** How requests for a Service with no ready endpoint are held. Only when the agent builds the mesh. */
  hold?: ServiceMeshDeps['hold'];
  /** Usage frames and Prometheus metrics (`--metrics-interval`, `--metrics-bind-address`). */
  metrics?: NodeMetricsOptions;
}

/**
 * The mesh follows the hub: a hub serving TLS has a cluster CA and gives nodes certificates, so the
 * hops between nodes are mTLS with them; only a hub run with `--insecure-http` (an `http://` or `ws://`
 * URL) leaves the mesh on plain HTTP with its token.
 */
export function meshTransportFor(hubUrl: string | readonly string[] | HubEndpoints): MeshTransport {
  // Every hub of a cluster serves the same scheme (the options check it), so the first one says.
  return /^(https|wss):/i.test(HubEndpoints.of(hubUrl).all[0]!) ? 'mtls' : 'insecure-token';
}

/** The settings of the mesh an agent builds itself (when `deps.mesh` is not given). */
export function meshDepsOf(deps: AgentDeps): ServiceMeshDeps {
  return {
    nodeName: deps.nodeName,
    labels: deps.labels,
    address: deps.address,
    meshPort: deps.meshPort ?? 0,
    transport: deps.meshTransport ?? meshTransportFor(deps.hubUrl),
    ...(deps.meshTls ? { tls: deps.meshTls } : {}),
    logger: deps.logger,
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.requestTimeoutMs !== undefined ? { requestTimeoutMs: deps.requestTimeoutMs } : {}),
    ...(deps.picker ? { picker: deps.picker } : {}),
    ...(deps.localPortRange ? { localPortRange: deps.localPortRange } : {}),
    ...(deps.listenerLimits ? { listenerLimits: deps.listenerLimits } : {}),
    ...(deps.hold ? { hold: deps.hold } : {}),
  };
}

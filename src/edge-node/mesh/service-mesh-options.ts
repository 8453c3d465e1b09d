/** What the node's Service mesh is built and started with (`ServiceMesh.create`, `ServiceMesh.start`). */
import type { Clock, Logger, Runtime } from '../../api/index.js';
import type { EndpointPicker } from './balancing/endpoint-picker.js';
import type { PortAssignmentStore } from './egress/local-proxy.js';
import type { LocalPortRange } from './egress/local-ports.js';
import type { ListenerLimits } from './http/listener-limits.js';
import type { MeshTlsMaterial, MeshTransport } from './trust/tls-material.js';
import type { PeerDialer } from './relay/peer-dialer.js';

/** Dependencies of the mesh. */
export interface ServiceMeshDeps {
  /** This node's name until the hub's welcome says otherwise. */
  nodeName: string;
  /** Labels of the node (its zone, until the hub's Service routes name one). */
  labels: Record<string, string>;
  /** Address NodePorts and the mesh listen on (and peers reach this node at). */
  address: string;
  /** Mesh port; 0 picks a free one (tests). */
  meshPort: number;
  /**
   * How hops between nodes are secured: `mtls` (the nodes' certificates, no token on the wire; the
   * material comes through `setTlsMaterial`) or `insecure-token` (plain HTTP, the cluster's mesh
   * token in clear — only with a hub run with `--insecure-http`).
   */
  transport: MeshTransport;
  /** mTLS: the node's TLS material when it is known at creation (else `setTlsMaterial` later). */
  tls?: MeshTlsMaterial;
  logger: Logger;
  clock?: Clock;
  /** Deadline of one request to a workload (default 15 s); a mesh hop gets a second more. */
  requestTimeoutMs?: number;
  /** Load-balancing strategy (default `LeastLoadedPicker`: least outstanding requests, P2C, locality, ejection). */
  picker?: EndpointPicker;
  /** Ports of the containers' local Service listeners (default 20000-29999). */
  localPortRange?: LocalPortRange;
  /** Limits of the NodePort, mesh and local-proxy listeners (defaults: `DEFAULT_LISTENER_LIMITS`). */
  listenerLimits?: Partial<ListenerLimits>;
  /** How requests for a Service with no ready endpoint are held (defaults: 100 per Service, 10 s). */
  hold?: { maxPerService?: number; timeoutMs?: number };
  /** mTLS: how connections to peers are made (default directly; `relay/`: through the hub when a peer is unreachable). */
  peerDialer?: PeerDialer;
}

/** What the mesh is started with: the node's runtimes and where the local proxy keeps its port assignments. */
export interface MeshStart {
  runtimes: readonly Runtime[];
  localPorts: PortAssignmentStore;
}

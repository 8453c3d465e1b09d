/** What the node gateway is built from: the informers it serves nodes from, its collaborators and its tunables. */
import type { HeartbeatPace } from './heartbeat-pace.js';
import type {
  Clock,
  ConfigMap,
  Endpoints,
  Gateway,
  GatewayClass,
  HTTPRoute,
  ReferenceGrant,
  Logger,
  Node,
  Pod,
  Secret,
  Service,
} from '../../api/index.js';
import type { NodeLifecycleController } from '../controllers/index.js';
import type { EventRecorder } from '../reconcile/index.js';
import type { Informer } from '../informers/index.js';
import type { WakeableSources } from './wakeable-services.js';
import type { CertificateAuthenticator, RevokedNodeKeys } from '../identity/index.js';
import type { ObjectAPI } from '../registry/index.js';
import type { NodeEventRate } from './event-limiter.js';
import type { AdmissionLimits } from './admission-slots.js';
import type { HubFrameLimits } from './pod-frames.js';
import type { NodeSessionLimits } from './session.js';
import type { FrameMeter, NodeMetricsFrames } from '../metrics/index.js';
import type { HubListSource } from './hub-list-push.js';
import type { RelayPeerHub } from './relay/index.js';

/** Verifies a bearer token; only `kind: 'node'` principals may connect. */
export interface GatewayAuth {
  verify(token: string): { kind: string } | undefined;
}

/** Dependencies of the node gateway. */
export interface NodeGatewayDeps {
  api: ObjectAPI;
  auth: GatewayAuth;
  /**
   * Node certificates (an HTTPS hub): when given, a node must connect with its certificate (a bound
   * `system:node:<name>` one) and may say hello only as that name; tokens do not reach the gateway.
   */
  certificates?: Pick<CertificateAuthenticator, 'authenticate'>;
  pods: Informer<Pod>;
  nodes: Informer<Node>;
  services: Informer<Service>;
  endpoints: Informer<Endpoints>;
  /** HPAs and their targets: which Services nodes hold requests for at zero (absent: none). */
  scaleTargets?: WakeableSources;
  /** Gateways and HTTPRoutes, compiled into the routes nodes serve (both or neither). */
  gateways?: Informer<Gateway>;
  httpRoutes?: Informer<HTTPRoute>;
  /** GatewayClasses and ReferenceGrants the compile reads (absent: the built-in class only, no grants). */
  gatewayClasses?: Informer<GatewayClass>;
  referenceGrants?: Informer<ReferenceGrant>;
  /** ConfigMaps and Secrets, sent to the nodes whose pods reference them (both or neither). */
  configMaps?: Informer<ConfigMap>;
  secrets?: Informer<Secret>;
  lifecycle: NodeLifecycleController;
  events: EventRecorder;
  clock: Clock;
  logger: Logger;
  /** The mesh token, sent in `welcome` to token nodes only (a plain-HTTP hub: no certificates). */
  meshToken: string;
  /** Revoked node keys, pushed to certificate nodes for their mesh ports (a TLS hub). */
  revokedKeys?: Pick<RevokedNodeKeys, 'list' | 'onChange'>;
  /** The cluster's hubs, pushed to nodes so they can fail over to them (several hubs on etcd). */
  hubList?: HubListSource;
  /** The live hub another node's session is on (several hubs): the relay sends dials for it there. */
  relayPeerHub?: RelayPeerHub['hubOf'];
  /** The interval a fleet within the heartbeat budget beats at (`heartbeatPace` re-paces larger fleets). */
  heartbeatIntervalSeconds: number;
  /** The fleet's heartbeat pace (`heartbeat-pace.ts`); absent: every node beats at `heartbeatIntervalSeconds`. */
  heartbeatPace?: HeartbeatPace;
  /** How long a new connection may take to say hello. */
  helloTimeoutMs?: number;
  /**
   * How long the live session of a node name gets to answer a ping before a second connection for
   * the same name takes it over (default 3 s); when it answers, the newcomer is refused.
   */
  duplicateCheckTimeoutMs?: number;
  /** Per-session limits (invalid frames, queued messages, unread bytes). */
  sessionLimits?: Partial<NodeSessionLimits>;
  /** Exec requests in flight per node (default 32) and log streams open per node (default 64). */
  maxExecsPerNode?: number;
  maxLogStreamsPerNode?: number;
  /** Events a node may record: per second and burst (default 5/s, burst 50); past it they are dropped. */
  nodeEventRate?: Partial<NodeEventRate>;
  /** What a node accepts in one frame (default: the wire's bounds; tests shrink them). */
  nodeFrameLimits?: Partial<HubFrameLimits>;
  /** How long Service and endpoint changes are gathered before nodes are sent them (default 50 ms). */
  serviceCoalesceMs?: number;
  /** Bounds of concurrent admission (default 64 registering at once, 2048 waiting; past it nodes retry later). */
  admissionLimits?: Partial<AdmissionLimits>;
  /** Takes the metrics frames of protocol 3 (usage, serviceWake, metricsResult) and sends metricsRequests. */
  metrics?: NodeMetricsFrames;
  /** Counts the sessions' frames and bytes by type (the hub's /metrics). */
  frameMeter?: FrameMeter;
}

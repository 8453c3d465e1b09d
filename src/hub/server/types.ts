/** What the API server is built from. */
import type { ComponentStatus, Logger, Node, Pod, PodExecResult } from '../../api/index.js';
import type { Authorizer, Principal, RbacPolicy, TokenAuth } from '../auth/index.js';
import type { BlobStore } from '../blobs/index.js';
import type { CertificateAuthenticator, NodeCertificateSigner } from '../identity/index.js';
import type { ObjectAPI } from '../registry/index.js';
import type { HubMetrics, NodeExposition, UsageSource } from '../metrics/index.js';
import type { Informer } from '../informers/index.js';
import type { BlobEncodings } from './blob-encodings.js';
import type { InflightLimiter } from './inflight-limits.js';
import type { StreamLimiter } from './stream-limits.js';
import type { WatchEncoder } from './watch-encoder.js';

/** Options of a pod log request (`GET …/pods/<name>/log`). */
export interface PodLogOptions {
  container?: string;
  tailLines?: number;
  follow?: boolean;
  previous?: boolean;
  timestamps?: boolean;
}

/** Where pod logs come from (the node gateway implements it by asking the pod's node). */
export interface PodLogSource {
  /** Yields log text; ends when the log ends (or, with `follow`, when `signal` aborts). */
  stream(namespace: string, pod: string, opts: PodLogOptions, signal: AbortSignal): AsyncIterable<string>;
}

/** Dependencies of `createApiApp`. */
export interface ApiDeps {
  api: ObjectAPI;
  auth: Pick<TokenAuth, 'verify'>;
  /**
   * Authorisation (the hub passes RBAC's, `createRbac`): the decision on every request, and the object
   * API as one caller writes through it (escalation prevention). Absent: only `system:masters` users
   * may do anything, for API apps built to test other concerns.
   */
  rbac?: {
    authorize: Authorizer;
    apiFor(who: Principal, api: ObjectAPI): ObjectAPI;
    /** The roles and bindings, for `SelfSubjectRulesReview` (absent: its answer says it is incomplete). */
    policy?: RbacPolicy;
  };
  blobs: BlobStore;
  /** The cache of blobs' encoded (brotli) forms; absent: blobs are served uncompressed. */
  blobEncodings?: BlobEncodings;
  /** The Nodes the sources query of peer-to-peer distribution reads (absent: no such route). */
  blobSourceNodes?: Pick<Informer<Node>, 'get' | 'list'>;
  logs: PodLogSource;
  /** Runs commands in pods' containers (`…/pods/{name}/exec`); absent = 405. */
  exec?: PodExecSource;
  logger: Logger;
  version: { gitVersion: string };
  /** Interval of BOOKMARK events on idle watches (default 30 s), so proxies do not cut them. */
  watchBookmarkIntervalMs?: number;
  /** Encodes watch frames once for all watchers (createApiApp makes one when absent). */
  watchEncoder?: WatchEncoder;
  /** Largest object body accepted (default 3 MiB). */
  maxBodyBytes?: number;
  /** Bounds on requests in flight (default: 400 reads, 200 writes, 50 full lists). */
  inflight?: InflightLimiter;
  /** Prometheus metrics: requests are recorded and `GET /metrics` serves them (absent: neither). */
  metrics?: HubMetrics;
  /** `metrics.k8s.io` from the nodes' usage (absent: the group answers 503). */
  metricsApi?: MetricsApiDeps;
  /** Nodes' Prometheus metrics through `/api/v1/nodes/{name}/proxy/metrics` (absent: 503). */
  nodeMetrics?: NodeMetricsSource;
  /** Per-user bounds on concurrent watches and followed logs (default: 100 and 20). */
  streamLimits?: StreamLimiter;
  /**
   * The CA bundle clients verify the hub with, served without authentication at `GET /cacerts` (as
   * K3s does) so a joining node can check it against its token's CA hash before sending the token.
   */
  caBundlePem?: string | undefined;
  /** The text of `GET /readyz?verbose`, one `[+]check ok` line each (the hub's leader election among them). */
  readyzVerbose?: () => string;
  /** The control plane's components (`GET /api/v1/componentstatuses`); absent: an empty list. */
  componentStatuses?: () => Promise<ComponentStatus[]>;
  /**
   * Per-node identity (an HTTPS hub): callers with a verified client certificate are authenticated by
   * it, and `POST /bootstrap/node-certificate` signs node certificates. Absent: bearer tokens only.
   */
  nodeCertificates?: NodeCertificateDeps;
}

/** What the API needs for client certificates and node certificate signing. */
export interface NodeCertificateDeps {
  certificates: Pick<CertificateAuthenticator, 'authenticate'>;
  signer: Pick<NodeCertificateSigner, 'sign'>;
}

/** A command to run in a pod's container, and what came of it. */
export interface PodExecOptions {
  container?: string;
  command: string[];
  timeoutSeconds: number;
}

/** How an exec ended (the REST shape of `src/api`, re-exported for the server's users). */
export type { PodExecResult };

/** Where exec requests go (the node gateway implements it by asking the pod's node). */
export interface PodExecSource {
  exec(namespace: string, pod: string, opts: PodExecOptions): Promise<PodExecResult>;
}

/** Hono environment of the API app: the authenticated caller is in `c.var.principal`. */
export interface ApiEnv {
  Variables: { principal: Principal };
}

/** What the metrics API reads: the usage, and the Pods and Nodes it belongs to (for selectors and labels). */
export interface MetricsApiDeps {
  usage: UsageSource;
  pods: Pick<Informer<Pod>, 'get' | 'list'>;
  nodes: Pick<Informer<Node>, 'get' | 'list'>;
  now?: () => number;
}

/** Where node metrics come from (the hub's `NodeMetricsProxy`). */
export interface NodeMetricsSource {
  fetch(node: string): Promise<NodeExposition>;
}

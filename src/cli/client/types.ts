/** Shapes the client sends and receives, beyond the resource schemas of `src/api`. */
import type { KubeObject, ObjectMeta } from '../../api/index.js';

/** How to reach and authenticate to a hub. */
export interface EdgeClientOptions {
  /** Base URL, e.g. `https://hub.local:8443` (a path prefix is kept). */
  server: string;
  /** Bearer token sent on every request. */
  token?: string | undefined;
  /** PEM CA certificate(s) to trust for an `https` hub with its own CA. */
  ca?: string | Buffer | undefined;
  /** Skip TLS verification (development only). */
  insecureSkipTlsVerify?: boolean | undefined;
  userAgent?: string | undefined;
  /** Time allowed for response headers of non-streaming requests (default 30 s). */
  timeoutMs?: number | undefined;
}

/** A list as the API returns it (`PodList`, …). */
export interface ObjectList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

/** Filters of list and watch (URL syntax of `labelSelector=` / `fieldSelector=`). */
export interface ListOptions {
  /** Namespace of a namespaced kind; all namespaces when absent. Ignored for cluster-scoped kinds. */
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** Watch options; resume happens from the last `resourceVersion` seen. */
export interface WatchOptions extends ListOptions {
  /** Start after this revision (usually a list's `metadata.resourceVersion`). */
  resourceVersion?: string | undefined;
  /** Reconnect attempts in a row after transport errors before giving up (default 5). */
  maxReconnects?: number | undefined;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

/** One watch event. */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

export type PropagationPolicy = 'Background' | 'Orphan' | 'Foreground';

export interface DeleteOptions {
  propagationPolicy?: PropagationPolicy | undefined;
  /** 0 = immediately; absent = the object's default grace period. */
  gracePeriodSeconds?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** autoscaling/v1 Scale, the body of the `/scale` subresource. */
export interface Scale {
  apiVersion: 'autoscaling/v1';
  kind: 'Scale';
  metadata: ObjectMeta;
  spec: { replicas?: number };
  status?: { replicas: number; selector?: string };
}

/** Query of the `/log` subresource. */
export interface LogOptions {
  container?: string | undefined;
  follow?: boolean | undefined;
  tailLines?: number | undefined;
  previous?: boolean | undefined;
  timestamps?: boolean | undefined;
  sinceSeconds?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** Answer of a blob upload. */
export interface BlobRef {
  digest: `sha256:${string}`;
  size: number;
}

/** Answer of `/version` (Kubernetes `version.Info` shape; every field optional). */
export interface ServerVersion {
  major?: string;
  minor?: string;
  gitVersion?: string;
  platform?: string;
  [extra: string]: unknown;
}

/**
 * Options of the client's calls. The shapes it sends and receives (lists, watch events, Scale, …) are
 * the REST schemas of `src/api`, which the hub uses too.
 */
import type { DeleteOptions as DeleteOptionsBody } from '../../api/index.js';

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

/** Options of `EdgeClient.delete` (sent as query parameters). */
export interface DeleteOptions extends Pick<DeleteOptionsBody, 'propagationPolicy' | 'gracePeriodSeconds'> {
  signal?: AbortSignal | undefined;
}

/** Query of the `/log` subresource. */
export interface LogOptions {
  container?: string | undefined;
  follow?: boolean | undefined;
  tailLines?: number | undefined;
  previous?: boolean | undefined;
  timestamps?: boolean | undefined;
  sinceSeconds?: number | undefined;
  /** RFC 3339 time: only lines from then on (exclusive with `sinceSeconds`). */
  sinceTime?: string | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * `EdgeClient`: a typed client of the hub's Kubernetes-shaped REST API, for edgectl, tests and
 * benchmarks. Objects (CRUD, watch, `/status`, `/scale`) come from {@link ObjectClient}
 * (object-client.ts); this file adds a pod's logs, exec and port-forward, blobs, access reviews,
 * metrics and the version. Failures are EdgeErrors.
 */
import type {
  BlobRef,
  NodeMetricsList,
  PodExecResult,
  PodMetricsList,
  SelfSubjectAccessReview,
  ServerVersion,
} from '../../api/index.js';
import { BadRequestError, kindByKind, resourcePath } from '../../api/lite.js';
import type { ExecChannelIO, ExecChannelRequest } from './exec-channel.js';
import type { HttpTransport } from './http.js';
import { ObjectClient, api } from './object-client.js';
import type { SpdyClientSession } from './spdy-client.js';
import type { ListOptions, LogOptions } from './types.js';

export type { PatchType } from './object-client.js';

/** `streamLogs`, its module loaded on first use. */
async function* lazyLogs(
  http: HttpTransport,
  namespace: string,
  pod: string,
  opts: LogOptions,
): AsyncGenerator<string, void, undefined> {
  const { streamLogs } = await import('./streams.js');
  yield* streamLogs(http, namespace, pod, opts);
}

/** A client of one hub. Call `close()` when done so idle keep-alive sockets do not linger. */
export class EdgeClient extends ObjectClient {
  /** Streams a pod's logs as text chunks (ends when the hub closes; with `follow`, when aborted). */
  logs(namespace: string, pod: string, opts: LogOptions = {}): AsyncGenerator<string, void, undefined> {
    return lazyLogs(this.http, namespace, pod, opts);
  }

  /**
   * Runs `command` in a container of pod `namespace/pod` on its node (non-interactive) and returns
   * its exit code and output. The hub waits at most `timeoutSeconds` for the command.
   */
  async exec(
    namespace: string,
    pod: string,
    opts: { command: readonly string[]; container?: string; timeoutSeconds?: number; signal?: AbortSignal },
  ): Promise<PodExecResult> {
    const qs = new URLSearchParams();
    for (const c of opts.command) qs.append('command', c);
    if (opts.container !== undefined) qs.set('container', opts.container);
    if (opts.timeoutSeconds !== undefined) qs.set('timeoutSeconds', String(opts.timeoutSeconds));
    const type = kindByKind('v1', 'Pod');
    if (!type) throw new BadRequestError('Pod kind is not registered');
    // `stream`: the answer may take as long as the command; the hub bounds it with timeoutSeconds.
    return this.http.json(
      (await api()).PodExecResult,
      'POST',
      `${resourcePath(type, namespace, pod, 'exec')}?${qs.toString()}`,
      {
        signal: opts.signal,
        stream: true,
      },
    );
  }

  /**
   * Runs a command in pod `namespace/pod` over the streaming exec (kubectl's channel WebSocket): stdin
   * (`-i`), a terminal (`-t`) with its sizes, output as it comes. Resolves with the exit code.
   */
  async execStream(namespace: string, pod: string, req: ExecChannelRequest, io: ExecChannelIO): Promise<number> {
    const type = kindByKind('v1', 'Pod');
    if (!type) throw new BadRequestError('Pod kind is not registered');
    const { execChannel } = await import('./exec-channel.js');
    return execChannel(this.http, resourcePath(type, namespace, pod, 'exec'), req, io);
  }

  /**
   * Opens kubectl's port-forward connection to pod `namespace/pod`: a POST upgraded to SPDY/3.1
   * (`portforward.k8s.io`), on which each local connection opens its pair of streams.
   */
  async portForward(namespace: string, pod: string): Promise<SpdyClientSession> {
    const type = kindByKind('v1', 'Pod');
    if (!type) throw new BadRequestError('Pod kind is not registered');
    const { socket, head } = await this.http.upgrade('POST', resourcePath(type, namespace, pod, 'portforward'), {
      upgrade: 'SPDY/3.1',
      'x-stream-protocol-version': 'portforward.k8s.io',
    });
    const { SpdyClientSession } = await import('./spdy-client.js');
    return new SpdyClientSession(socket, head);
  }

  /**
   * Uploads bytes (or the file at `source`) to the hub's content store and returns its digest,
   * checked against the digest computed locally.
   */
  async uploadBlob(source: Uint8Array | string, signal?: AbortSignal): Promise<BlobRef> {
    // fs/promises and crypto load here, not at start-up: only an upload reads a file and hashes.
    const bytes = typeof source === 'string' ? await (await import('node:fs/promises')).readFile(source) : source;
    const { createHash } = await import('node:crypto');
    const local = `sha256:${createHash('sha256').update(bytes).digest('hex')}` as const;
    const ref = await this.http.json((await api()).BlobRef, 'POST', (await api()).BLOB_PATH, { body: bytes, signal });
    if (ref.digest !== local) {
      throw new BadRequestError(`the hub stored the blob as ${ref.digest} but its sha256 is ${local}`);
    }
    return { digest: local, size: ref.size };
  }

  /** Asks the hub whether the caller may do what `spec` says (`kubectl auth can-i`); the answer is in `status`. */
  async accessReview(spec: SelfSubjectAccessReview['spec'], signal?: AbortSignal): Promise<SelfSubjectAccessReview> {
    const body: SelfSubjectAccessReview = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec,
    };
    return this.http.json(
      (await api()).SelfSubjectAccessReview,
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      {
        body,
        signal,
      },
    );
  }

  /** `metrics.k8s.io` NodeMetrics: one node's (`name`), or every node's matching `labelSelector`. */
  async nodeMetrics(
    opts: { name?: string; labelSelector?: string; signal?: AbortSignal } = {},
  ): Promise<NodeMetricsList> {
    const { METRICS_API_VERSION } = await api();
    const base = `/apis/${METRICS_API_VERSION}/nodes`;
    if (opts.name !== undefined)
      return this.http
        .json((await api()).NodeMetrics, 'GET', `${base}/${encodeURIComponent(opts.name)}`, { signal: opts.signal })
        .then((item) => ({ apiVersion: METRICS_API_VERSION, kind: 'NodeMetricsList', metadata: {}, items: [item] }));
    const query = { labelSelector: opts.labelSelector || undefined };
    return this.http.json((await api()).NodeMetricsList, 'GET', base, { query, signal: opts.signal });
  }

  /** `metrics.k8s.io` PodMetrics of a namespace (all when undefined), one pod's, or those matching a selector. */
  async podMetrics(opts: ListOptions & { name?: string } = {}): Promise<PodMetricsList> {
    const { METRICS_API_VERSION } = await api();
    const ns = opts.namespace;
    const base = `/apis/${METRICS_API_VERSION}${ns === undefined ? '' : `/namespaces/${encodeURIComponent(ns)}`}/pods`;
    if (opts.name !== undefined)
      return this.http
        .json((await api()).PodMetrics, 'GET', `${base}/${encodeURIComponent(opts.name)}`, { signal: opts.signal })
        .then((item) => ({ apiVersion: METRICS_API_VERSION, kind: 'PodMetricsList', metadata: {}, items: [item] }));
    const query = { labelSelector: opts.labelSelector || undefined, fieldSelector: opts.fieldSelector || undefined };
    return this.http.json((await api()).PodMetricsList, 'GET', base, { query, signal: opts.signal });
  }

  /** The hub's `/version`. */
  async version(signal?: AbortSignal): Promise<ServerVersion> {
    return this.http.json((await api()).ServerVersion, 'GET', '/version', { signal });
  }
}

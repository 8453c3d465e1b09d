/** A real API app (SQLite store, registry, tokens, blobs) in a temp dir, for the server's tests. */
import { Status, type KubeObject } from '../../../api/index.js';
import type { TokenAuth } from '../../auth/index.js';
import type { ObjectRegistry } from '../../registry/index.js';
import type { SqliteStore } from '../../store/index.js';
import { createTestApi, type TestApiOptions } from '../../testing/index.js';
import type { createApiApp } from '../app.js';
import type { PodLogSource } from '../types.js';

/** A Response whose `json()` is `unknown`: tests read it with the typed readers below. */
export interface TestResponse extends Omit<Response, 'json'> {
  json(): Promise<unknown>;
}

/** Reads a JSON answer as the shape `T` the test expects of it (an API object; its assertions check the rest). */
export async function readJson<T>(res: TestResponse): Promise<T> {
  return (await res.json()) as T;
}

/** Reads a failure answer, checked to be a Kubernetes `Status`. */
export async function readStatus(res: TestResponse): Promise<Status> {
  return Status.parse(await res.json());
}

export interface Harness {
  app: ReturnType<typeof createApiApp>;
  store: SqliteStore;
  api: ObjectRegistry;
  auth: TokenAuth;
  /** Sends a request as admin (or with `token`); JSON-encodes a non-string body. */
  req(
    method: string,
    path: string,
    body?: unknown,
    opts?: { token?: string | null; contentType?: string },
  ): Promise<TestResponse>;
  close(): Promise<void>;
}

/** Log source that yields three lines, then (with follow) waits for the abort. */
export const fakeLogs: PodLogSource = {
  async *stream(namespace, pod, opts, signal) {
    yield `${namespace}/${pod} line 1\n`;
    yield `${opts.container ?? 'main'} line 2\n`;
    yield `tail=${opts.tailLines ?? '-'} line 3\n`;
    if (opts.follow) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  },
};

export async function createHarness(
  opts: Pick<TestApiOptions, 'historyLimit' | 'bookmarkMs' | 'now' | 'metrics' | 'inflight' | 'users'> = {},
): Promise<Harness> {
  const { app, store, api, auth, close } = await createTestApi({ ...opts, logs: fakeLogs });
  return {
    app,
    store,
    api,
    auth,
    req(method, path, body, o = {}) {
      const headers: Record<string, string> = {};
      const token = o.token === undefined ? auth.adminToken : o.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
      const payload =
        body === undefined
          ? undefined
          : typeof body === 'string' || body instanceof Uint8Array
            ? body
            : JSON.stringify(body);
      return Promise.resolve(app.request(path, { method, headers, body: payload }));
    },
    close,
  };
}

/** One NDJSON line of a watch. */
export interface WatchLine {
  type: string;
  object: KubeObject;
}

/** Reads NDJSON lines from a streaming response until `n` lines arrived, then cancels it. */
export async function readLines(res: TestResponse, n: number, timeoutMs = 5000): Promise<WatchLine[]> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const out: WatchLine[] = [];
  let buf = '';
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    if (Date.now() > deadline) throw new Error(`timed out after ${out.length} lines`);
    const r = await Promise.race([
      reader.read(),
      new Promise<never>((_, rej) =>
        setTimeout(() => rej(new Error(`timed out after ${out.length} lines: ${buf}`)), timeoutMs),
      ),
    ]);
    if (r.done) break;
    buf += decoder.decode(r.value, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      out.push(JSON.parse(buf.slice(0, i)) as WatchLine);
      buf = buf.slice(i + 1);
    }
  }
  await reader.cancel();
  return out;
}

/** A minimal Pod manifest (optionally bound to `nodeName`) for the server's tests. */
export function testPod(name: string, labels: Record<string, string> = { app: 'web' }, nodeName?: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'main', image: 'hello.wasm' }], ...(nodeName ? { nodeName } : {}) },
  };
}

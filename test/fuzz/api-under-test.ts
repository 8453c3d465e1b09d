/**
 * The real hub API in-process for the `manifests` and `patches` fuzz targets: SQLite store in a
 * temporary directory, object registry, token auth, `createApiApp` driven with `app.request()` (no
 * sockets: tens of thousands of requests a minute). Plus the checks both targets share: an answer is
 * a success or a Kubernetes Status 4xx that says what is wrong; Object.prototype is never touched.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger } from '../../src/api/index.js';
import { silentLogger } from '../../src/platform/index.js';
import { TokenAuth } from '../../src/hub/auth/index.js';
import { BlobStore } from '../../src/hub/blobs/index.js';
import { ObjectRegistry } from '../../src/hub/registry/index.js';
import { createApiApp } from '../../src/hub/server/index.js';
import { SqliteStore } from '../../src/hub/store/index.js';

/** A running in-process API. */
export interface ApiUnderTest {
  dir: string;
  store: SqliteStore;
  api: ObjectRegistry;
  app: ReturnType<typeof createApiApp>;
  token: string;
  /** Sends one request; `body` is sent as is when a string, else JSON-encoded. */
  request(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<{ status: number; json: unknown }>;
  close(): Promise<void>;
}

/** Starts the API over a fresh store with the `default` namespace. */
export async function startApi(prefix: string, logger: Logger = silentLogger()): Promise<ApiUnderTest> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const store = await SqliteStore.create({ path: join(dir, 'hub.db'), logger });
  const api = new ObjectRegistry({ store, clock: { now: () => Date.now() }, logger });
  await api.ensureNamespace('default');
  const auth = await TokenAuth.create({ dataDir: dir, logger });
  const blobs = await BlobStore.create({ dir: join(dir, 'blobs'), maxBytes: 1024 * 1024 });
  const app = createApiApp({
    api,
    auth,
    blobs,
    logs: { stream: async function* () {} },
    logger,
    version: { gitVersion: 'fuzz' },
  });
  const token = auth.adminToken;
  return {
    dir,
    store,
    api,
    app,
    token,
    async request(method, path, body, contentType = 'application/json') {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (body !== undefined) headers['content-type'] = contentType;
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const res = await app.request(path, { method, headers, body: payload });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new Error(`${method} ${path} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
      }
      return { status: res.status, json };
    },
    async close() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

interface StatusLike {
  kind?: unknown;
  code?: unknown;
  reason?: unknown;
  message?: unknown;
  details?: { causes?: { field?: unknown; message?: unknown }[] };
}

/**
 * Throws unless the answer is a 2xx or a Kubernetes Status 4xx whose message says what is wrong
 * (and, for 422 Invalid, whose causes name fields).
 */
export function expectSuccessOrStatus(what: string, res: { status: number; json: unknown }): void {
  if (res.status >= 200 && res.status < 300) return;
  const s = res.json as StatusLike;
  if (res.status >= 500)
    throw new Error(`${what}: ${res.status} ${String(s.reason)}: ${String(s.message).slice(0, 300)}`);
  if (res.status < 400) throw new Error(`${what}: unexpected status ${res.status}`);
  if (s.kind !== 'Status' || s.code !== res.status)
    throw new Error(`${what}: ${res.status} answer is not a Status: ${JSON.stringify(s).slice(0, 200)}`);
  if (typeof s.message !== 'string' || s.message.trim() === '')
    throw new Error(`${what}: ${res.status} Status with no message`);
  if (s.message.length > 2200)
    throw new Error(`${what}: Status message of ${s.message.length} characters (echoes the input?)`);
  if (res.status === 422) {
    const causes = s.details?.causes ?? [];
    if (causes.length === 0 || causes.some((c) => typeof c.field !== 'string' || c.field === ''))
      throw new Error(`${what}: 422 Invalid without field causes: ${s.message.slice(0, 200)}`);
  }
}

const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort().join(',');

/** Throws if anything reached Object.prototype. */
export function expectNoPollution(what: string): void {
  const probe = {} as Record<string, unknown>;
  if (Object.getPrototypeOf(probe) !== Object.prototype) throw new Error(`${what}: prototype of {} changed`);
  if (Object.getOwnPropertyNames(Object.prototype).sort().join(',') !== PROTO_NAMES)
    throw new Error(`${what}: Object.prototype gained or lost properties`);
  for (const k in probe) throw new Error(`${what}: Object.prototype polluted with enumerable "${k}"`);
}

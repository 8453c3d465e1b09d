/**
 * A real API app (SQLite store, registry, tokens, blobs) in a temporary directory, for tests of the
 * server and of its clients. It is the hub's own `createApiApp` over its own store and registry, only
 * without controllers, scheduler and node gateway, so a test sees exactly what it wrote.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../platform/index.js';
import { startStandaloneAuth, type TokenAuth } from '../auth/index.js';
import { BlobStore } from '../blobs/index.js';
import { ObjectRegistry } from '../registry/index.js';
import type { HubMetrics } from '../metrics/index.js';
import { BlobEncodings, createApiApp, type InflightLimiter, type PodLogSource } from '../server/index.js';
import { SqliteStore } from '../store/index.js';

/** Options of `createTestApi`; every one has a default suited to unit tests. */
export interface TestApiOptions {
  /** Where pod logs come from (default: none, every log is empty). */
  logs?: PodLogSource;
  /** Events kept in the store's history before it compacts (the store's default otherwise). */
  historyLimit?: number;
  /** Interval of BOOKMARK events on idle watches. */
  bookmarkMs?: number;
  /** The registry's clock. */
  now?: () => number;
  /** `gitVersion` answered on `/version` (default `v0.0.0-test`). */
  version?: string;
  /** Whether the `default` namespace exists from the start, as on a real hub (default true). */
  defaultNamespace?: boolean;
  /** Users besides `admin`, written to `tokens.json` (tokens of at least 16 characters). */
  users?: readonly TestUser[];
  /** Prometheus metrics of the app (`GET /metrics`); none by default. */
  metrics?: HubMetrics;
  /** In-flight budgets (the server's defaults otherwise). */
  inflight?: InflightLimiter;
  /** Largest blob the store accepts (default 1 MiB). */
  blobMaxBytes?: number;
}

/** A user of `tokens.json`: a name, its token, and a legacy role or groups. */
export interface TestUser {
  name: string;
  token: string;
  role?: 'admin' | 'read-only';
  groups?: readonly string[];
}

/** A real API app and the parts it is built from, for tests to inspect. */
export interface TestApi {
  app: ReturnType<typeof createApiApp>;
  store: SqliteStore;
  api: ObjectRegistry;
  auth: TokenAuth;
  blobs: BlobStore;
  /** The temporary directory (the store's, the blobs' and their encoded forms' under it). */
  dir: string;
  /** Removes the store and the temporary directory. */
  close(): Promise<void>;
}

const noLogs: PodLogSource = {
  // eslint-disable-next-line require-yield -- an empty log is a generator that yields nothing
  async *stream() {
    await Promise.resolve();
  },
};

/** Builds a real API app over a fresh store in a temporary directory. */
export async function createTestApi(opts: TestApiOptions = {}): Promise<TestApi> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-api-'));
  const logger = silentLogger();
  const store = await SqliteStore.create({ path: join(dir, 'hub.db'), logger, historyLimit: opts.historyLimit });
  const clock = { now: opts.now ?? (() => Date.now()) };
  const api = new ObjectRegistry({ store, clock, logger });
  if (opts.defaultNamespace !== false) await api.ensureNamespace('default');
  if (opts.users) await writeFile(join(dir, 'tokens.json'), JSON.stringify({ users: opts.users }), { mode: 0o600 });
  // Authentication and authorisation as on a real hub: token files and Token objects, the built-in RBAC policy.
  const { auth, rbac, stop: stopAuth } = await startStandaloneAuth({ api, dataDir: dir, logger, clock });
  const blobs = await BlobStore.create({ dir: join(dir, 'blobs'), maxBytes: opts.blobMaxBytes ?? 1024 * 1024 });
  const app = createApiApp({
    api,
    auth,
    rbac,
    blobs,
    blobEncodings: new BlobEncodings({ dir: blobs.encodedDir }),
    logs: opts.logs ?? noLogs,
    logger,
    version: { gitVersion: opts.version ?? 'v0.0.0-test' },
    watchBookmarkIntervalMs: opts.bookmarkMs,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    ...(opts.inflight ? { inflight: opts.inflight } : {}),
  });
  return {
    app,
    store,
    api,
    auth,
    blobs,
    dir,
    async close() {
      stopAuth();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

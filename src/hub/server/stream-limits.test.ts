import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { typeByKind } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { GROUP_READ_ONLY, TokenAuth, startStandaloneRbac } from '../auth/index.js';
import { BlobStore } from '../blobs/index.js';
import { ObjectRegistry } from '../registry/index.js';
import { SqliteStore } from '../store/index.js';
import { createApiApp } from './app.js';
import { StreamLimiter, streamKindOf } from './stream-limits.js';
import { fakeLogs, readLines } from './testdata/harness.js';
import { watchResponse } from './watch-stream.js';

const PODS = '/api/v1/namespaces/default/pods';
const ALICE = 'alice-token-0123456789abcdef';
const pod = (name: string, note = '') => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, annotations: { note } },
  spec: { containers: [{ name: 'main', image: 'hello.wasm' }] },
});

let dir: string;
let store: SqliteStore;
let api: ObjectRegistry;
let auth: TokenAuth;
let limiter: StreamLimiter;
let app: ReturnType<typeof createApiApp>;
let stopRbac: () => void;
/** Store watches of the app's own RBAC informers, under every count below. */
let rbacWatchers: number;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stream-limits-'));
  const logger = silentLogger();
  store = await SqliteStore.create({ path: join(dir, 'hub.db'), logger });
  api = new ObjectRegistry({ store, clock: { now: () => Date.now() }, logger });
  await api.ensureNamespace('default');
  await writeFile(
    join(dir, 'tokens.json'),
    JSON.stringify({ users: [{ name: 'alice', token: ALICE, role: 'read-only' }] }),
  );
  auth = await TokenAuth.create({ dataDir: dir, logger });
  const blobs = await BlobStore.create({ dir: join(dir, 'blobs') });
  limiter = new StreamLimiter({ watchesPerUser: 2, logFollowsPerUser: 1 });
  // alice is `read-only`: RBAC's `view`, as on a hub.
  const rbac = await startStandaloneRbac(api, logger);
  stopRbac = rbac.stop;
  rbacWatchers = store.watcherCount;
  app = createApiApp({
    api,
    auth,
    rbac,
    blobs,
    logs: fakeLogs,
    logger,
    version: { gitVersion: 'test' },
    streamLimits: limiter,
  });
});
afterEach(async () => {
  stopRbac();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const get = (path: string, token = auth.adminToken): Promise<Response> =>
  Promise.resolve(app.request(path, { headers: { authorization: `Bearer ${token}` } }));

describe('per-user stream limits', () => {
  it('answers 429 naming the limit past N watches per user, counts users apart, and frees a slot when a stream is closed', async () => {
    const w1 = await get(`${PODS}?watch=true`);
    const w2 = await get(`/apis/apps/v1/deployments?watch=1`);
    expect([w1.status, w2.status]).toEqual([200, 200]);
    const refused = await get(`${PODS}?watch=true`);
    expect(refused.status).toBe(429);
    const status = (await refused.json()) as { kind: string; reason: string; code: number; message: string };
    expect(status).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429 });
    expect(status.message).toContain(
      'too many concurrent watches for user "admin": the limit is 2 (--max-watches-per-user)',
    );
    // Plain lists are not streams; another user has slots of their own.
    expect((await get(PODS)).status).toBe(200);
    const alice = await get(`${PODS}?watch=true`, ALICE);
    expect(alice.status).toBe(200);
    expect(limiter.count('watch', 'alice')).toBe(1);

    await w1.body?.cancel();
    expect(limiter.count('watch', 'admin')).toBe(1);
    const w3 = await get(`${PODS}?watch=true`);
    expect(w3.status).toBe(200);
    for (const r of [w2, w3, alice]) await r.body?.cancel();
    expect(limiter.count('watch', 'admin') + limiter.count('watch', 'alice')).toBe(0);
  });

  it('bounds followed logs separately; a watch that fails before streaming holds no slot', async () => {
    await get(PODS); // namespace exists
    await api.create(typeByKind('v1', 'Pod')!, pod('a'));
    const f1 = await get(`${PODS}/a/log?follow=true`);
    expect(f1.status).toBe(200);
    const f2 = await get(`${PODS}/a/log?follow=true`);
    expect(f2.status).toBe(429);
    expect(((await f2.json()) as { message: string }).message).toContain('the limit is 1 (--max-log-follows-per-user)');
    // A log that is not followed ends by itself and is not counted.
    expect((await get(`${PODS}/a/log`)).status).toBe(200);
    // Failures before the stream starts release at once.
    expect((await get(`${PODS}/missing/log?follow=true`, ALICE)).status).toBe(404);
    expect((await get(`${PODS}?watch=true&resourceVersion=abc`, ALICE)).status).toBe(400);
    expect(limiter.count('logFollow', 'alice') + limiter.count('watch', 'alice')).toBe(0);
    await f1.body?.cancel();
    expect(limiter.count('logFollow', 'admin')).toBe(0);
    const f3 = await get(`${PODS}/a/log?follow=true`);
    expect(f3.status).toBe(200);
    await f3.body?.cancel();
  });

  it('counts a request made with Impersonate-User against the impersonated user, not the caller', async () => {
    // admin (system:masters) may impersonate anyone; kubectl --as=alice --as-group=… sends these
    // headers (the group is what lets alice read: an impersonated user has only the groups asked for).
    const asAlice = (path: string): Promise<Response> =>
      Promise.resolve(
        app.request(path, {
          headers: {
            authorization: `Bearer ${auth.adminToken}`,
            'impersonate-user': 'alice',
            'impersonate-group': GROUP_READ_ONLY,
          },
        }),
      );
    const w1 = await asAlice(`${PODS}?watch=true`);
    const w2 = await asAlice(`${PODS}?watch=true`);
    expect([w1.status, w2.status]).toEqual([200, 200]);
    expect(limiter.count('watch', 'alice')).toBe(2);
    expect(limiter.count('watch', 'admin')).toBe(0);
    // alice's own token shares the slots the impersonation took…
    const own = await get(`${PODS}?watch=true`, ALICE);
    expect(own.status).toBe(429);
    expect(((await own.json()) as { message: string }).message).toContain('for user "alice"');
    // …and the impersonator keeps all of its own.
    const mine = [await get(`${PODS}?watch=true`), await get(`${PODS}?watch=true`)];
    expect(mine.map((r) => r.status)).toEqual([200, 200]);
    for (const r of [w1, w2, ...mine]) await r.body?.cancel();
    expect(limiter.count('watch', 'alice') + limiter.count('watch', 'admin')).toBe(0);
  });

  it('frees the slot when an HTTP client goes away', async () => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as AddressInfo;
    try {
      const ac = new AbortController();
      const res = await fetch(`http://127.0.0.1:${port}${PODS}?watch=true`, {
        headers: { authorization: `Bearer ${auth.adminToken}` },
        signal: ac.signal,
      });
      expect(res.status).toBe(200);
      expect(limiter.count('watch', 'admin')).toBe(1);
      ac.abort();
      // The abort reaches the server on a later turn: poll, with room for a loaded machine.
      await vi.waitFor(() => expect(limiter.count('watch', 'admin')).toBe(0), { timeout: 15_000, interval: 20 });
      expect(store.watcherCount).toBe(rbacWatchers);
    } finally {
      server.close();
    }
  });

  it('ends a HEAD watch at once (no body would ever be read), freeing its slot and store watcher', async () => {
    const res = await app.request(`${PODS}?watch=true`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${auth.adminToken}` },
    });
    expect(res.status).toBe(200);
    expect(res.body).toBeNull();
    expect(limiter.count('watch', 'admin')).toBe(0);
    expect(store.watcherCount).toBe(rbacWatchers);
  });
});

describe('which requests are pod streams', () => {
  it('counts kubectl exec/attach/port-forward upgrades and edgectl one-shot exec, not other pod reads', () => {
    const none = (): undefined => undefined;
    const pods = '/api/v1/namespaces/default/pods/web';
    expect(streamKindOf('GET', `${pods}/exec`, none)).toBe('podStream');
    expect(streamKindOf('POST', `${pods}/exec`, none)).toBe('podStream');
    expect(streamKindOf('GET', `${pods}/attach`, none)).toBe('podStream');
    expect(streamKindOf('GET', `${pods}/portforward`, none)).toBe('podStream');
    expect(streamKindOf('GET', `${pods}/log`, none)).toBeUndefined();
    expect(streamKindOf('GET', pods, none)).toBeUndefined();
    expect(streamKindOf('DELETE', `${pods}/exec`, none)).toBeUndefined();
  });

  it('a user past the limit gets 429 naming it; slots are per user', () => {
    const limiter = new StreamLimiter({ podStreamsPerUser: 2 });
    const a = limiter.acquire('podStream', 'alice');
    limiter.acquire('podStream', 'alice');
    expect(() => limiter.acquire('podStream', 'alice')).toThrow(
      'too many concurrent exec, attach and port-forward streams for user "alice": the limit is 2 (--max-pod-streams-per-user)',
    );
    limiter.acquire('podStream', 'bob');
    a();
    a(); // idempotent
    expect(limiter.count('podStream', 'alice')).toBe(1);
    limiter.acquire('podStream', 'alice');
  });
});

describe('watch buffering', () => {
  it('ends a watch whose client does not read once its queue passes the cap, with a 410 ERROR event', async () => {
    const POD = typeByKind('v1', 'Pod')!;
    const res = await watchResponse(api, POD, { namespace: 'default' }, new AbortController().signal, {
      bookmarkIntervalMs: 60_000,
      logger: silentLogger(),
      maxQueuedBytes: 64 * 1024,
    });
    // Served by the watch cache (no store watch of its own): count the registry's watchers.
    const others = api.watchStats.watchers - 1;
    expect(others).toBeGreaterThanOrEqual(0);
    // Nobody reads: each ~4 KiB object queues up until the watch gives up on its client.
    const note = 'x'.repeat(4096);
    for (let i = 0; i < 200 && api.watchStats.watchers > others; i++) await api.create(POD, pod(`p${i}`, note));
    expect(api.watchStats.watchers).toBe(others);
    expect(store.watcherCount).toBeLessThanOrEqual(rbacWatchers + 1);
    const lines = await readLines(res, 1000).catch(() => []);
    const last = lines.at(-1) as unknown as { type: string; object: { reason: string; code: number } } | undefined;
    expect(last?.type).toBe('ERROR');
    expect(last?.object).toMatchObject({ reason: 'Gone', code: 410 });
    expect(lines.length).toBeLessThan(200);
  });
});

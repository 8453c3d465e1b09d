/**
 * Blob replication between real hubs (in this process, TLS on 127.0.85.2) over a real one-member etcd
 * (127.0.85.11): an upload through hub A is on B's disk when A acknowledges it (pushed with mutual TLS),
 * and B serves it after A has stopped; a hub started later (C) pulls it from B on its first request,
 * verified against its digest; a peer serving damaged content is refused; the peer routes are the hubs'
 * alone.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BLOB_PATH, type ComponentStatusList } from '../../api/index.js';
import { createLogger, silentLogger } from '../../platform/index.js';
import { until } from '../../../test/support/cluster.js';
import { Hub } from '../hub.js';
import { shareClusterCa } from '../testing/index.js';
import { EtcdTestCluster } from '../store/etcd/testing/etcd-cluster.js';
import { PEER_BLOB_PATH } from './index.js';

const TIMINGS = { leaseDurationSeconds: 3, renewDeadlineSeconds: 2, retryPeriodSeconds: 0.5 };
const PREFIX = '/blob-peers-test';

let etcd: EtcdTestCluster;
const dirs: string[] = [];
const hubs: Hub[] = [];
let tls: Agent;
beforeAll(async () => {
  etcd = await EtcdTestCluster.start(['127.0.85.11']);
}, 60_000);
afterAll(async () => {
  for (const h of hubs) await h.stop().catch(() => undefined);
  await tls?.close();
  await etcd?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A hub on the shared etcd; all but the first get the first one's CA and keyring (as an operator copies them). */
async function startHub(): Promise<{ hub: Hub; url: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'edge-blob-peers-'));
  dirs.push(dataDir);
  const first = hubs[0];
  if (first !== undefined) shareClusterCa(first.options.dataDir, dataDir);
  const hub = await Hub.create({
    dataDir,
    store: { kind: 'etcd' as const, endpoints: etcd.endpoints, keyPrefix: PREFIX },
    leaderElection: TIMINGS,
    host: '127.0.85.2',
    port: 0,
    logger: process.env['BLOB_PEERS_DEBUG'] ? createLogger('hub', 'info') : silentLogger(),
    ...(first !== undefined ? { encryptionKeyFile: join(first.options.dataDir, 'encryption.keys') } : {}),
  });
  hubs.push(hub);
  const { url } = await hub.start();
  tls ??= new Agent({ connect: { ca: readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8') } });
  return { hub, url };
}

const tokenOf = (hub: Hub): string => /token: (\S+)/.exec(readFileSync(hub.clientFiles.kubeconfig, 'utf8'))![1]!;
const onDisk = (hub: Hub, digest: string): string => join(hub.options.dataDir, 'blobs', 'sha256', digest.slice(7));

async function call(
  url: string,
  opts: { method?: 'GET' | 'HEAD' | 'POST'; token?: string; body?: Uint8Array } = {},
): Promise<{ status: number; body: Buffer }> {
  const res = await request(url, {
    method: opts.method ?? 'GET',
    dispatcher: tls,
    headers: opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` },
    ...(opts.body !== undefined ? { body: opts.body } : {}),
  });
  return { status: res.statusCode, body: Buffer.from(await res.body.arrayBuffer()) };
}

/**
 * The hubs `hub` sees as live peers with an address (componentstatuses `hub-<identity>`, from the
 * presence records; a hub's first record may come before it listens, without its address).
 */
async function healthyHubs(hub: { hub: Hub; url: string }): Promise<Set<string>> {
  const r = await call(`${hub.url}/api/v1/componentstatuses`, { token: tokenOf(hub.hub) });
  if (r.status !== 200) return new Set();
  const list = JSON.parse(r.body.toString()) as ComponentStatusList;
  const live = list.items.filter(
    (i) =>
      i.metadata.name?.startsWith('hub-') &&
      i.conditions[0]?.status === 'True' &&
      i.conditions[0].message?.includes('https://'),
  );
  return new Set(live.map((i) => i.metadata.name.slice('hub-'.length)));
}

/** Waits until `hub` sees every one of `others` as a live peer. */
async function sees(hub: { hub: Hub; url: string }, ...others: { hub: Hub }[]): Promise<void> {
  await until(
    'the hub to see its peers live',
    async () => {
      const live = await healthyHubs(hub);
      return others.every((o) => live.has(o.hub.identity));
    },
    20_000,
    100,
  );
}

it('copies an upload to the live peers before acknowledging it, pulls a missing blob from a peer, verified; only hubs use the peer routes', async () => {
  const a = await startHub();
  await until('A to lead', () => a.hub.isLeader, 15_000, 50);
  const b = await startHub();
  await sees(a, b);
  await sees(b, a);

  // Uploaded through A: when A answers, B has it on its own disk.
  const component = randomBytes(300_000);
  const digest = `sha256:${createHash('sha256').update(component).digest('hex')}`;
  const up = await call(`${a.url}${BLOB_PATH}`, { method: 'POST', token: tokenOf(a.hub), body: component });
  expect(up.status).toBe(201);
  expect(existsSync(onDisk(b.hub, digest))).toBe(true);
  expect(
    createHash('sha256')
      .update(readFileSync(onDisk(b.hub, digest)))
      .digest('hex'),
  ).toBe(digest.slice(7));

  // The peer routes are for hubs: no credential is 401, the admin's token is allowed (cluster-admin), and a
  // hub's own GET serves its disk only (nothing to pull for a blob no hub has).
  expect((await call(`${b.url}${PEER_BLOB_PATH}/${digest}`)).status).toBe(401);
  const absent = `sha256:${'0'.repeat(64)}`;
  expect((await call(`${b.url}${PEER_BLOB_PATH}/${absent}`, { token: tokenOf(b.hub) })).status).toBe(404);
  expect((await call(`${b.url}${BLOB_PATH}/${absent}`, { token: tokenOf(b.hub) })).status).toBe(404);

  // A stops: B serves the component from its own copy.
  await a.hub.stop();
  const fromB = await call(`${b.url}${BLOB_PATH}/${digest}`, { token: tokenOf(b.hub) });
  expect(fromB.status).toBe(200);
  expect(fromB.body.equals(component)).toBe(true);

  // C joins after the upload: it has nothing, and pulls the blob from B on its first request (HEAD too).
  const c = await startHub();
  await sees(c, b);
  expect(existsSync(onDisk(c.hub, digest))).toBe(false);
  const head = await call(`${c.url}${BLOB_PATH}/${digest}`, { method: 'HEAD', token: tokenOf(c.hub) });
  expect(head.status).toBe(200);
  expect(existsSync(onDisk(c.hub, digest))).toBe(true);
  const fromC = await call(`${c.url}${BLOB_PATH}/${digest}`, { token: tokenOf(c.hub) });
  expect(fromC.body.equals(component)).toBe(true);

  // A copy damaged on B's disk after B stored it (B serves it as it is) is refused by the hub that pulls
  // it: D, started after C stopped, stores nothing and answers 404.
  await sees(b, c);
  const other = randomBytes(1000);
  const otherDigest = `sha256:${createHash('sha256').update(other).digest('hex')}`;
  expect((await call(`${b.url}${BLOB_PATH}`, { method: 'POST', token: tokenOf(b.hub), body: other })).status).toBe(201);
  expect(existsSync(onDisk(c.hub, otherDigest))).toBe(true);
  await c.hub.stop();
  writeFileSync(onDisk(b.hub, otherDigest), Buffer.alloc(1000, 7));
  const served = await call(`${b.url}${PEER_BLOB_PATH}/${otherDigest}`, { token: tokenOf(b.hub) });
  expect(served.status).toBe(200);
  expect(served.body.equals(other)).toBe(false);
  const d = await startHub();
  await sees(d, b);
  const damaged = await call(`${d.url}${BLOB_PATH}/${otherDigest}`, { token: tokenOf(d.hub) });
  expect(damaged.status).toBe(404);
  expect(existsSync(onDisk(d.hub, otherDigest))).toBe(false);
}, 120_000);

/**
 * Online key rotation on a real etcd (127.0.85.12) with two real hubs in this process (TLS on
 * 127.0.85.3), each with its own copy of the keyring file, as on two machines: the four steps of
 * `rotateOnline` run against an operator's copy, which is copied to both hubs after each step. While it
 * runs, both hubs are read and written without pause: no read or write fails, and every write is read
 * back through the other hub. Each step waits for both hubs to reload; at the end every Secret in etcd
 * is under the new key, the old key is gone from every file, and both hubs still read every Secret.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentLogger } from '../../platform/index.js';
import { until } from '../../../test/support/cluster.js';
import { Hub } from '../hub.js';
import { shareClusterCa } from '../testing/index.js';
import { EtcdStore } from '../store/index.js';
import { EtcdTestCluster } from '../store/etcd/testing/etcd-cluster.js';
import { presenceKeyNames } from '../leader/index.js';
import { rotateCommand } from './rotate-command.js';
import { ENVELOPE_PREFIX, Keyring, RotationNotReadyError, rotateOnline, type OnlineRotationStep } from './index.js';

const TIMINGS = { leaseDurationSeconds: 3, renewDeadlineSeconds: 2, retryPeriodSeconds: 0.5 };
const PREFIX = '/rotate-online-test';

let etcd: EtcdTestCluster;
let raw: EtcdStore;
const dirs: string[] = [];
const hubs: Hub[] = [];
let tls: Agent | undefined;
beforeAll(async () => {
  etcd = await EtcdTestCluster.start(['127.0.85.12']);
  raw = await EtcdStore.create({ endpoints: etcd.endpoints, keyPrefix: PREFIX, logger: silentLogger() });
}, 60_000);
afterAll(async () => {
  for (const h of hubs) await h.stop().catch(() => undefined);
  await tls?.close();
  await raw?.close();
  await etcd?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'edge-rotate-online-'));
  dirs.push(d);
  return d;
}

interface RunningHub {
  hub: Hub;
  url: string;
  token: string;
  keyFile: string;
}

async function startHub(keyFile: string, pkiFrom?: Hub): Promise<RunningHub> {
  const dataDir = tempDir();
  if (pkiFrom !== undefined) shareClusterCa(pkiFrom.options.dataDir, dataDir);
  const hub = await Hub.create({
    dataDir,
    store: { kind: 'etcd' as const, endpoints: etcd.endpoints, keyPrefix: PREFIX },
    leaderElection: TIMINGS,
    host: '127.0.85.3',
    port: 0,
    logger: silentLogger(),
    encryptionKeyFile: keyFile,
  });
  hubs.push(hub);
  const { url } = await hub.start();
  tls ??= new Agent({ connect: { ca: readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8') } });
  const token = /token: (\S+)/.exec(readFileSync(hub.clientFiles.kubeconfig, 'utf8'))![1]!;
  return { hub, url, token, keyFile };
}

async function call(h: RunningHub, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) {
  const res = await request(`${h.url}${path}`, {
    method,
    dispatcher: tls,
    headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
}

const SECRETS = '/api/v1/namespaces/default/secrets';
const secret = (name: string, value: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name },
  data: { v: Buffer.from(value).toString('base64') },
});
const valueOf = (s: Record<string, unknown> | undefined): string | undefined => {
  const v = (s?.['data'] as Record<string, string> | undefined)?.['v'];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString();
};

/** The key names each Secret is stored under in etcd (straight from etcd, ciphertext). */
async function storedKeys(): Promise<Set<string>> {
  const { items } = await raw.list('/registry/secrets/');
  const names = new Set<string>();
  for (const i of items) {
    const v = i.value as string;
    expect(v.startsWith(ENVELOPE_PREFIX)).toBe(true);
    names.add(v.slice(ENVELOPE_PREFIX.length).split(':')[0]!);
  }
  return names;
}

it('rotates the key of two running hubs on etcd, step by step, with no failed read or write', async () => {
  // The operator's copy, and each hub's own copy of it (as on two machines).
  const ops = join(tempDir(), 'ops.keys');
  const aKeys = join(tempDir(), 'a.keys');
  const bKeys = join(tempDir(), 'b.keys');
  await new Keyring([{ name: 'key1', key: randomBytes(32) }]).save(ops);
  for (const f of [aKeys, bKeys]) {
    copyFileSync(ops, f);
    chmodSync(f, 0o600);
  }
  const a = await startHub(aKeys);
  await until('A to lead', () => a.hub.isLeader, 15_000, 50);
  const b = await startHub(bKeys, a.hub);
  for (let i = 0; i < 10; i++) expect((await call(a, 'POST', SECRETS, secret(`s${i}`, `v${i}-0`))).status).toBe(201);
  expect(await storedKeys()).toEqual(new Set(['key1']));

  // Without pause: each round writes s<i> through one hub and reads it back through the other.
  const failures: string[] = [];
  let rounds = 0;
  let conflicts = 0;
  let stop = false;
  const traffic = (async () => {
    while (!stop) {
      const i = rounds % 10;
      const [w, r] = rounds % 2 === 0 ? [a, b] : [b, a];
      const want = `v${i}-${++rounds}`;
      // A rewrite moves a Secret's resourceVersion: an update read before it gets 409 and is retried,
      // as any Kubernetes client does (counted, not a failure).
      for (;;) {
        const cur = await call(w, 'GET', `${SECRETS}/s${i}`);
        if (cur.status !== 200) failures.push(`read s${i}: ${cur.status}`);
        const rv = (cur.json?.['metadata'] as { resourceVersion?: string } | undefined)?.resourceVersion;
        const put = await call(w, 'PUT', `${SECRETS}/s${i}`, {
          ...secret(`s${i}`, want),
          metadata: { name: `s${i}`, resourceVersion: rv },
        });
        if (put.status === 409) {
          conflicts++;
          continue;
        }
        if (put.status !== 200) failures.push(`write s${i}: ${put.status}`);
        break;
      }
      await until(
        `s${i} = ${want} through the other hub`,
        async () => {
          const got = await call(r, 'GET', `${SECRETS}/s${i}`);
          if (got.status !== 200) failures.push(`read s${i}: ${got.status}`);
          return valueOf(got.json) === want;
        },
        20_000,
        20,
      );
    }
  })();

  const published = async (want: string[]) =>
    until(
      `both hubs to publish keys ${want.join(',')}`,
      async () => {
        const m = await presenceKeyNames(raw);
        return [a, b].every((h) => (m.get(h.hub.identity) ?? []).join() === want.join());
      },
      30_000,
      100,
    );
  const step = async (s: OnlineRotationStep) => {
    const r = await rotateOnline({
      step: s,
      keyFile: ops,
      store: raw,
      waitMs: 30_000,
      pollMs: 100,
      logger: silentLogger(),
    });
    for (const h of [a, b]) copyFileSync(ops, h.keyFile);
    return r;
  };
  try {
    const opts = { keyFile: ops, store: raw, waitMs: 1_500, pollMs: 100, logger: silentLogger() };
    await expect(rotateOnline({ ...opts, step: 'promote' })).rejects.toThrow(/run the "add" step first/);
    // The new key reaches A only: promoting it is refused, naming B, until B holds it too.
    expect(await rotateOnline({ ...opts, step: 'add' })).toEqual({ step: 'add', keys: ['key1', 'key2'] });
    copyFileSync(ops, a.keyFile);
    const early = rotateOnline({ ...opts, step: 'promote' });
    await expect(early).rejects.toBeInstanceOf(RotationNotReadyError);
    await expect(early).rejects.toThrow(b.hub.identity);
    copyFileSync(ops, b.keyFile);
    await published(['key1', 'key2']);
    expect((await step('promote')).keys).toEqual(['key2', 'key1']);
    await published(['key2', 'key1']);
    // The last two steps through the command line, as an operator runs them.
    const cli = async (s: OnlineRotationStep): Promise<string[]> => {
      const lines: string[] = [];
      await rotateCommand(
        ['node', 'edge-hub', 'rotate-encryption-key', '--online', s, '--encryption-key-file', ops].concat([
          '--etcd-endpoints',
          etcd.endpoints.join(','),
          '--etcd-prefix',
          PREFIX,
          '--wait',
          '30',
        ]),
        (l) => lines.push(l),
      );
      for (const h of [a, b]) copyFileSync(ops, h.keyFile);
      return lines;
    };
    expect(await cli('rewrite')).toEqual([
      'rewrite: keys key2, key1 (the first encrypts)',
      expect.stringMatching(/^\d+ Secret\(s\) re-encrypted, \d+ already under it$/),
      'copy the keyring file to every hub now',
    ]);
    expect(await storedKeys()).toEqual(new Set(['key2']));
    expect(await cli('drop')).toEqual([
      'drop: keys key2 (the first encrypts)',
      expect.stringMatching(/^0 Secret\(s\) re-encrypted, 10 already under it$/),
      'copy the keyring file to every hub now',
    ]);
    await published(['key2']);
    // A few more rounds under the new keyring alone.
    const after = rounds;
    await until('traffic under the new key alone', () => rounds >= after + 4, 30_000, 50);
  } finally {
    stop = true;
    await traffic;
  }
  console.log(`rotation under traffic: ${rounds} rounds, ${conflicts} conflict(s) retried, 0 failures`);
  expect(failures).toEqual([]);
  expect(rounds).toBeGreaterThan(4);
  expect(await storedKeys()).toEqual(new Set(['key2']));
  for (const h of [a, b]) {
    expect(readFileSync(h.keyFile, 'utf8')).not.toContain('key1:');
    for (let i = 0; i < 10; i++) expect((await call(h, 'GET', `${SECRETS}/s${i}`)).status).toBe(200);
  }
}, 180_000);

/**
 * Store latency benchmark (prints figures; asserts nothing): the same work against a hub on SQLite
 * and a hub on etcd, in one run. A one-member etcd (Debian's 3.4, /usr/bin/etcd) is started on
 * 127.0.53.41 with its data in tmp; each hub is a real `edge-hub` process (built `dist/`).
 *
 *   npx tsx bench/store-latency.ts [--writes 500] [--concurrency 8] [--objects 2000]
 *
 * Figures, per store:
 * - API write latency (ConfigMap create over HTTPS), sequential and with `--concurrency` writers: p50/p99;
 * - list of `--objects` ConfigMaps through the API: median of 5;
 * - watch delivery: from a write's acknowledgement to its event on an open API watch: p50/p99;
 * - the store alone, in-process (no HTTP): create latency p50/p99, sequential.
 * Run it under `flock /tmp/edgeplane-e2e.lock` on a shared machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { KubeObject } from '../src/api/index.js';
import { EtcdStore, SqliteStore, type Store } from '../src/hub/store/index.js';
import { EtcdTestCluster } from '../src/hub/store/etcd/testing/etcd-cluster.js';
import { silentLogger } from '../src/platform/index.js';
import { Cluster, kind } from '../test/support/cluster.js';

const { values } = parseArgs({
  options: {
    writes: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '8' },
    objects: { type: 'string', default: '2000' },
  },
});
const WRITES = Number(values.writes);
const CONCURRENCY = Number(values.concurrency);
const OBJECTS = Number(values.objects);

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const ms = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : '–');
const pair = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  return `${ms(pct(s, 50))} / ${ms(pct(s, 99))}`;
};

const configMap = (ns: string, name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  data: { k: 'v'.repeat(200) },
});

/** Runs `n` calls of `fn` on `writers` concurrent loops; returns each call's duration in ms. */
async function timed(n: number, writers: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let i = next++; i < n; i = next++) {
        const t0 = performance.now();
        await fn(i);
        out.push(performance.now() - t0);
      }
    }),
  );
  return out;
}

async function apiFigures(name: string, cluster: Cluster): Promise<Array<[string, string]>> {
  const c = cluster.client;
  const ns = (n: string) =>
    c.create(kind('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } });
  await ns('seq');
  await ns('par');
  await ns('bulk');
  await ns('watched');
  const seq = await timed(WRITES, 1, (i) => c.create(kind('configmaps'), configMap('seq', `cm-${i}`)));
  const par = await timed(WRITES, CONCURRENCY, (i) => c.create(kind('configmaps'), configMap('par', `cm-${i}`)));
  await timed(OBJECTS, 16, (i) => c.create(kind('configmaps'), configMap('bulk', `cm-${i}`)));
  const lists = await timed(5, 1, () => c.list(kind('configmaps'), { namespace: 'bulk' }));
  // Watch delivery: the event of each write, timed from the write's acknowledgement.
  const acked = new Map<string, number>();
  const delivery: number[] = [];
  const seen = new Map<string, number>();
  const ctl = new AbortController();
  const res = await cluster.hubFetch(
    `/api/v1/namespaces/watched/configmaps?watch=true&resourceVersion=${(await c.list(kind('configmaps'), { namespace: 'watched' })).metadata.resourceVersion}`,
    {
      headers: { authorization: `Bearer ${cluster.adminToken}` },
      signal: ctl.signal,
    },
  );
  const reading = (async () => {
    const dec = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body!) {
        buf += dec.decode(chunk as Uint8Array, { stream: true });
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const ev = JSON.parse(line) as { object?: { metadata?: { name?: string } } };
          const n = ev.object?.metadata?.name;
          if (n) seen.set(n, performance.now());
        }
      }
    } catch {
      // aborted
    }
  })();
  const WATCHED = Math.min(200, WRITES);
  for (let i = 0; i < WATCHED; i++) {
    await c.create(kind('configmaps'), configMap('watched', `w-${i}`));
    acked.set(`w-${i}`, performance.now());
  }
  const until = Date.now() + 10_000;
  while (seen.size < WATCHED && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  ctl.abort();
  await reading;
  for (const [n, t] of acked) {
    const s = seen.get(n);
    // An event may arrive before the HTTP answer: that delivery counts as 0.
    if (s !== undefined) delivery.push(Math.max(0, s - t));
  }
  return [
    [`${name}: API create p50 / p99, sequential (${WRITES})`, pair(seq)],
    [`${name}: API create p50 / p99, ${CONCURRENCY} writers (${WRITES})`, pair(par)],
    [`${name}: API list of ${OBJECTS} ConfigMaps, median of 5`, ms([...lists].sort((a, b) => a - b)[2]!)],
    [`${name}: watch delivery after ack p50 / p99 (${delivery.length} of ${WATCHED} seen)`, pair(delivery)],
  ];
}

async function storeFigures(name: string, store: Store): Promise<Array<[string, string]>> {
  const t = await timed(WRITES, 1, (i) => store.create(`/bench/raw/${i}`, { i, pad: 'x'.repeat(200) }));
  await store.close();
  return [[`${name}: store create in-process p50 / p99, sequential (${WRITES})`, pair(t)]];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'store-bench-'));
  const etcd = await EtcdTestCluster.start(['127.0.53.41']);
  const rows: Array<[string, string]> = [];
  try {
    rows.push(
      ...(await storeFigures(
        'SQLite',
        await SqliteStore.create({ path: join(dir, 'raw.db'), logger: silentLogger() }),
      )),
    );
    rows.push(
      ...(await storeFigures(
        'etcd',
        await EtcdStore.create({ endpoints: etcd.endpoints, keyPrefix: '/bench-raw', logger: silentLogger() }),
      )),
    );
    for (const [name, args] of [
      ['SQLite', []],
      ['etcd', ['--store', 'etcd', '--etcd-endpoints', etcd.endpoints.join(','), '--etcd-prefix', '/bench-hub']],
    ] as const) {
      const cluster = new Cluster([...args]);
      try {
        await cluster.startHub();
        rows.push(...(await apiFigures(name, cluster)));
      } finally {
        await cluster.stop();
      }
    }
  } finally {
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('| figure | value |\n|---|---|');
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
}

await main();

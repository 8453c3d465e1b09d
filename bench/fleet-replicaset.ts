/**
 * What one pod event costs the ReplicaSet controller's counting, at R pods in one ReplicaSet (prints
 * figures; not a test). A real pod informer holds R pods owned by one ReplicaSet (fed through
 * `observe`, as the controller's own writes are: the store is not involved, only the cache, its owner
 * index and its handlers). Each round changes one pod's readiness (one informer event) and then counts:
 *   - "recount": what a reconcile did before the running tally (issue 14's 5k profile: `ownedPods` +
 *     `updateStatus` ≈ 25% of the hub): the owner index's R pods, each filtered by the selector, then
 *     classified (active, fully labeled, ready, available);
 *   - "tally": the running counts (`ReplicaSetCounts`), moved by the event, read by the reconcile.
 * With one event per pod, a rollout of R pods costs R × (one of these): the recount makes it O(R²).
 *
 * Run: npx tsx bench/fleet-replicaset.ts [--rounds 2000] [--sizes 1000,10000,25000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod, ReplicaSet } from '../src/api/index.js';
import { fromLabelSelector, isPodReady, matchesLabels, systemClock } from '../src/api/index.js';
import { ReplicaSetCounts, type ReplicaCounts } from '../src/hub/controllers/replicaset-counts.js';
import { isPodActive, isPodAvailable } from '../src/hub/controllers/util.js';
import { BY_CONTROLLER_UID, InformerFactory } from '../src/hub/informers/index.js';
import { ObjectRegistry } from '../src/hub/registry/index.js';
import { SqliteStore } from '../src/hub/store/index.js';
import { silentLogger } from '../src/platform/index.js';
import { arg } from './wasm-support.js';

const ROUNDS = arg('rounds', 2000);
const sizesAt = process.argv.indexOf('--sizes');
const SIZES = (sizesAt >= 0 ? (process.argv[sizesAt + 1] ?? '') : '1000,10000,25000').split(',').map(Number);

/** The count a reconcile made before the running tally (replicaset.ts at d52cc11: ownedPods + updateStatus). */
function recount(pods: Pod[], rs: ReplicaSet, now: number): ReplicaCounts {
  const sel = fromLabelSelector(rs.spec.selector) ?? [];
  const owned = pods.filter(
    (p) => p.metadata.namespace === rs.metadata.namespace && matchesLabels(sel, p.metadata.labels),
  );
  const active = owned.filter(isPodActive);
  const tpl = rs.spec.template.metadata?.labels ?? {};
  return {
    replicas: active.length,
    fullyLabeledReplicas: active.filter((p) => Object.entries(tpl).every(([k, v]) => p.metadata.labels?.[k] === v))
      .length,
    readyReplicas: active.filter(isPodReady).length,
    availableReplicas: active.filter((p) => isPodAvailable(p, rs.spec.minReadySeconds ?? 0, now)).length,
  };
}

const rs: ReplicaSet = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web', namespace: 'default', uid: 'rs-uid', generation: 1 },
  spec: {
    replicas: 0,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' } },
      spec: { containers: [{ name: 'c', image: 'x.wasm' }] },
    },
  },
};

function pod(i: number, rv: number, ready: boolean): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `web-${i}`,
      namespace: 'default',
      uid: `pod-${i}`,
      resourceVersion: String(rv),
      labels: { app: 'web', 'pod-template-hash': 'abc' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true }],
    },
    spec: { nodeName: `node-${i % 1000}`, containers: [{ name: 'c', image: 'x.wasm' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: '2026-12-04T00:00:00Z' }],
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'bench-rs-'));
const store = await SqliteStore.create({ path: join(dir, 'db'), logger: silentLogger() });
const api = new ObjectRegistry({ store, clock: systemClock, logger: silentLogger() });
const rows: string[] = [];
try {
  for (const size of SIZES) {
    const informers = new InformerFactory(api, silentLogger());
    const pods = informers.for<Pod>('v1', 'Pod');
    const counts = new ReplicaSetCounts(pods);
    let rv = 1;
    for (let i = 0; i < size; i++) pods.observe(pod(i, rv++, i % 2 === 0));
    counts.counts(rs, Date.now()); // the one O(R) build of the tally, as at a reconcile's first look
    const measure = (count: () => ReplicaCounts): { us: number; last: ReplicaCounts } => {
      let last = count();
      const start = process.hrtime.bigint();
      for (let r = 0; r < ROUNDS; r++) {
        const i = r % size;
        pods.observe(pod(i, rv++, r % 3 !== 0));
        last = count();
      }
      return { us: Number(process.hrtime.bigint() - start) / 1000 / ROUNDS, last };
    };
    const before = measure(() => recount(pods.byIndex(BY_CONTROLLER_UID, 'rs-uid'), rs, Date.now()));
    const after = measure(() => counts.counts(rs, Date.now()));
    // Both must say the same of the same cache.
    const check = recount(pods.byIndex(BY_CONTROLLER_UID, 'rs-uid'), rs, Date.now());
    if (JSON.stringify(check) !== JSON.stringify(counts.counts(rs, Date.now())))
      throw new Error(`tally ${JSON.stringify(counts.counts(rs, Date.now()))} ≠ recount ${JSON.stringify(check)}`);
    rows.push(
      `| ${size.toLocaleString('en')} | ${before.us.toFixed(1)} µs | ${after.us.toFixed(1)} µs | ${(before.us / after.us).toFixed(0)}× |`,
    );
  }
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`ReplicaSet counting per pod event (event + count), ${ROUNDS} rounds each, one ReplicaSet of R pods`);
console.log('| R pods | recount (before) | running tally (after) | ratio |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(r);

/**
 * The ReplicaSet controller's running counts over a real registry, SQLite store and informers: scale
 * up and down, pods dying and deleted, pods orphaned and adopted or leaving the selector, readiness and
 * minReadySeconds, and a random sequence of pod writes after which the running tally must equal a
 * full recount of the informer's cache.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Pod, ReplicaSet } from '../../api/index.js';
import { fromLabelSelector, isPodReady, matchesLabels, systemClock, typeByKind } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { InformerFactory, type Informer } from '../informers/index.js';
import { EventRecorder } from '../reconcile/index.js';
import { ObjectRegistry } from '../registry/index.js';
import { SqliteStore } from '../store/index.js';
import { ReplicaSetController } from './index.js';
import { ReplicaSetCounts, type ReplicaCounts } from './replicaset-counts.js';
import { podWriteCensus, type PodWriteCensus } from './testing/write-census.js';
import { isPodActive, isPodAvailable } from './util.js';

const POD = typeByKind('v1', 'Pod')!;
const RS = typeByKind('apps/v1', 'ReplicaSet')!;

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false): Promise<T> {
  const end = Date.now() + 8000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The counts as the controller computed them before the running tally: a full pass over the owned pods. */
function recount(pods: Informer<Pod>, rs: ReplicaSet, now: number): ReplicaCounts {
  const sel = fromLabelSelector(rs.spec.selector) ?? [];
  const tpl = Object.entries(rs.spec.template.metadata?.labels ?? {});
  const active = pods
    .list((p) => p.metadata.ownerReferences?.find((r) => r.controller)?.uid === rs.metadata.uid)
    .filter((p) => p.metadata.namespace === rs.metadata.namespace && matchesLabels(sel, p.metadata.labels))
    .filter(isPodActive);
  return {
    replicas: active.length,
    fullyLabeledReplicas: active.filter((p) => tpl.every(([k, v]) => p.metadata.labels?.[k] === v)).length,
    readyReplicas: active.filter(isPodReady).length,
    availableReplicas: active.filter((p) => isPodAvailable(p, rs.spec.minReadySeconds ?? 0, now)).length,
  };
}

describe('ReplicaSet running counts', () => {
  let dir: string;
  let store: SqliteStore;
  let api: ObjectRegistry;
  let informers: InformerFactory;
  let pods: Informer<Pod>;
  let replicaSets: Informer<ReplicaSet>;
  let controller: ReplicaSetController | undefined;
  /** The controller's pod writes. */
  let census: PodWriteCensus;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-rs-'));
    store = await SqliteStore.create({ path: join(dir, 'db'), logger: silentLogger() });
    api = new ObjectRegistry({ store, clock: systemClock, logger: silentLogger() });
    await api.ensureNamespace('default');
    informers = new InformerFactory(api, silentLogger());
    pods = informers.for<Pod>('v1', 'Pod');
    replicaSets = informers.for<ReplicaSet>('apps/v1', 'ReplicaSet');
  });

  afterEach(async () => {
    await controller?.stop();
    controller = undefined;
    informers.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const manifest = (replicas: number, minReadySeconds = 0): ReplicaSet => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      minReadySeconds,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web', tier: 'front' } },
        spec: { containers: [{ name: 'c', image: 'x.wasm' }] },
      },
    },
  });

  async function startController(): Promise<void> {
    const logger = silentLogger();
    census = podWriteCensus(api);
    controller = new ReplicaSetController({
      api: census.api,
      pods,
      replicaSets,
      events: new EventRecorder({ api, clock: systemClock, logger, component: 'test' }),
      clock: systemClock,
      logger,
      statusIntervalMs: 20,
    });
    await informers.start();
    controller.start();
  }

  const live = async (): Promise<Pod[]> =>
    (await api.list<Pod>(POD, { namespace: 'default' })).items.filter((p) => !p.metadata.deletionTimestamp);
  const status = async (): Promise<ReplicaSet['status']> => (await api.get<ReplicaSet>(RS, 'default', 'web')).status;
  /** Waits until the stored status shows `want` (and the tally agrees with a full recount). */
  const statusIs = async (want: Partial<ReplicaCounts>): Promise<void> => {
    await until(`status ${JSON.stringify(want)}`, async () => {
      const s = await status();
      return s && Object.entries(want).every(([k, v]) => s[k as keyof ReplicaCounts] === v);
    });
  };
  const setReady = async (pod: Pod, ready: boolean, since = new Date().toISOString()): Promise<void> => {
    const fresh = await api.get<Pod>(POD, 'default', pod.metadata.name!);
    await api.updateStatus(POD, {
      ...fresh,
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: since }],
      },
    });
  };
  const patchPod = async (name: string, edit: (p: Pod) => Pod): Promise<void> => {
    await api.update(POD, edit(await api.get<Pod>(POD, 'default', name)));
  };

  it('scales up and down, counting ready pods, and replaces pods that fail or are deleted', async () => {
    await startController();
    await api.create(RS, manifest(5));
    await until('5 pods', async () => (await live()).length === 5 && true);
    await statusIs({ replicas: 5, fullyLabeledReplicas: 5, readyReplicas: 0, availableReplicas: 0 });
    const [a, b, c] = await live();
    await setReady(a!, true);
    await setReady(b!, true);
    await statusIs({ replicas: 5, readyReplicas: 2, availableReplicas: 2 });

    // A pod fails: it no longer counts and is replaced; a pod deleted is replaced too.
    const failed = await api.get<Pod>(POD, 'default', c!.metadata.name!);
    await api.updateStatus(POD, { ...failed, status: { phase: 'Failed' } });
    await api.delete(POD, 'default', b!.metadata.name!);
    await until('replacements', async () => (await live()).filter(isPodActive).length === 5 && true);
    await statusIs({ replicas: 5, readyReplicas: 1, availableReplicas: 1 });

    // Scale down to 2: the not-ready pods go first, the ready one stays.
    const rs = await api.get<ReplicaSet>(RS, 'default', 'web');
    await api.update(RS, { ...rs, spec: { ...rs.spec, replicas: 2 } });
    await until('2 active pods', async () => (await live()).filter(isPodActive).length === 2 && true);
    await statusIs({ replicas: 2, readyReplicas: 1, availableReplicas: 1 });
    expect((await live()).some((p) => p.metadata.name === a!.metadata.name)).toBe(true);
  });

  it('creates and deletes a burst of pods at once, at most 100 a reconcile', async () => {
    await startController();
    await api.create(RS, manifest(130));
    await until('130 pods', async () => (await live()).length === 130 && true);
    expect(census.peak.create).toBe(100);
    expect(census.total.create).toBe(130);
    const rs = await api.get<ReplicaSet>(RS, 'default', 'web');
    await api.update(RS, { ...rs, spec: { ...rs.spec, replicas: 10 } });
    await until('10 pods', async () => (await live()).length === 10 && true);
    // One after another this was 1: a scale-down of thousands waited out one commit per pod.
    expect(census.peak.delete).toBe(100);
    expect(census.total.delete).toBe(120);
    await statusIs({ replicas: 10 });
  });

  it('after a burst whose creations failed, tries one at a time until one succeeds, then bursts again', async () => {
    await startController();
    census.refuseCreates(new Error('exceeded quota: pods'));
    await api.create(RS, manifest(50));
    await until('the first burst refused', () => census.total.create >= 50 && true);
    expect(census.peak.create).toBe(50);
    census.reset();
    // The retries (the queue's back-off) send one creation each, not the burst again.
    await until('three more refused tries', () => census.total.create >= 3 && true);
    expect(census.peak.create).toBe(1);
    census.refuseCreates(undefined);
    census.reset();
    await until('50 pods', async () => (await live()).length === 50 && true);
    // One that succeeds, then the other 49 at once.
    expect(census.peak.create).toBe(49);
    expect(census.total.create).toBe(50);
  });

  it('stops counting a pod that is orphaned or leaves the selector, and counts it again when it comes back', async () => {
    await startController();
    await api.create(RS, manifest(3));
    await until('3 pods', async () => (await live()).length === 3 && true);
    const [orphan, stray] = await live();

    // Orphaned (its controller reference removed): a replacement is made, the orphan is not counted.
    await patchPod(orphan!.metadata.name!, (p) => ({ ...p, metadata: { ...p.metadata, ownerReferences: [] } }));
    // Out of the selector: likewise.
    await patchPod(stray!.metadata.name!, (p) => ({ ...p, metadata: { ...p.metadata, labels: { app: 'other' } } }));
    await until('5 pods (3 counted)', async () => (await live()).length === 5 && true);
    await statusIs({ replicas: 3, fullyLabeledReplicas: 3 });

    // Back in the selector but without the template's tier label: one too many, one deleted; the
    // remaining count says how many carry every template label.
    await patchPod(stray!.metadata.name!, (p) => ({ ...p, metadata: { ...p.metadata, labels: { app: 'web' } } }));
    await until('4 pods', async () => (await live()).length === 4 && true);
    const rs = await api.get<ReplicaSet>(RS, 'default', 'web');
    // Adopted again (its controller reference restored): one too many again.
    await patchPod(orphan!.metadata.name!, (p) => ({
      ...p,
      metadata: {
        ...p.metadata,
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid!, controller: true },
        ],
      },
    }));
    await until('3 pods', async () => (await live()).length === 3 && true);
    // Which pod the scale-down chose depends on the ranking; the status must agree with a recount.
    await until('status = recount', async () => {
      const s = await status();
      const want = recount(pods, rs, Date.now());
      return want.replicas === 3 && s?.replicas === 3 && s.fullyLabeledReplicas === want.fullyLabeledReplicas;
    });
  });

  it('counts a ready pod as available only once it has been ready for minReadySeconds', async () => {
    const counts = new ReplicaSetCounts(pods);
    await informers.start();
    const rs = await api.create<ReplicaSet>(RS, manifest(0, 30));
    const t0 = Date.parse('2026-12-04T03:00:00Z');
    for (const name of ['p1', 'p2']) {
      const p = await api.create<Pod>(POD, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace: 'default',
          labels: { app: 'web', tier: 'front' },
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid!, controller: true },
          ],
        },
        spec: { containers: [{ name: 'c', image: 'x.wasm' }] },
      });
      pods.observe(p);
    }
    expect(counts.counts(rs, t0)).toEqual({
      replicas: 2,
      fullyLabeledReplicas: 2,
      readyReplicas: 0,
      availableReplicas: 0,
    });
    await setReady((await live())[0]!, true, new Date(t0).toISOString());
    await setReady((await live())[1]!, true, new Date(t0 + 10_000).toISOString());
    await until('2 ready', () => counts.counts(rs, t0).readyReplicas === 2);
    expect(counts.counts(rs, t0 + 29_999).availableReplicas).toBe(0);
    expect(counts.counts(rs, t0 + 30_000).availableReplicas).toBe(1);
    expect(counts.counts(rs, t0 + 40_000).availableReplicas).toBe(2);
    // Not ready again: it leaves the available count at once.
    await setReady((await live())[0]!, false);
    await until('1 ready', () => counts.counts(rs, t0 + 40_000).readyReplicas === 1);
    expect(counts.counts(rs, t0 + 40_000)).toEqual(recount(pods, rs, t0 + 40_000));
  });

  it('after a random sequence of pod writes, the running tally equals a full recount', async () => {
    const counts = new ReplicaSetCounts(pods);
    await informers.start();
    const rs = await api.create<ReplicaSet>(RS, manifest(0, 5));
    const ownerRef = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      name: 'web',
      uid: rs.metadata.uid!,
      controller: true,
    };
    const t0 = Date.now();
    expect(counts.counts(rs, t0).replicas).toBe(0);
    // A seeded generator, so a failure can be replayed.
    let seed = 14;
    const rnd = (n: number): number => (((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n) + n) % n;
    const labelSets: Record<string, string>[] = [{ app: 'web', tier: 'front' }, { app: 'web' }, { app: 'other' }];
    for (let i = 0; i < 150; i++) {
      const current = await live();
      const op = current.length < 3 ? 0 : rnd(6);
      const pick = current[rnd(Math.max(1, current.length))];
      if (op === 0) {
        await api.create(POD, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `p${i}`, namespace: 'default', labels: labelSets[rnd(3)], ownerReferences: [ownerRef] },
          spec: { containers: [{ name: 'c', image: 'x.wasm' }] },
        });
      } else if (op === 1) await api.delete(POD, 'default', pick!.metadata.name!);
      else if (op === 2) await setReady(pick!, rnd(2) === 0, new Date(t0 - rnd(10) * 1000).toISOString());
      else if (op === 3) {
        const p = await api.get<Pod>(POD, 'default', pick!.metadata.name!);
        await api.updateStatus(POD, { ...p, status: { phase: rnd(2) === 0 ? 'Failed' : 'Succeeded' } });
      } else if (op === 4)
        await patchPod(pick!.metadata.name!, (p) => ({ ...p, metadata: { ...p.metadata, labels: labelSets[rnd(3)] } }));
      else
        await patchPod(pick!.metadata.name!, (p) => ({
          ...p,
          metadata: { ...p.metadata, ownerReferences: rnd(2) === 0 ? [] : [ownerRef] },
        }));
      // The tally follows the informer's cache event by event: equal to a recount at every moment.
      expect(counts.counts(rs, t0)).toEqual(recount(pods, rs, t0));
    }
    await until('the informer holds every write', async () => {
      const stored = (await api.list<Pod>(POD)).items;
      return (
        pods.size === stored.length &&
        stored.every(
          (p) => pods.get('default', p.metadata.name!)?.metadata.resourceVersion === p.metadata.resourceVersion,
        )
      );
    });
    expect(counts.counts(rs, t0)).toEqual(recount(pods, rs, t0));
    expect(counts.counts(rs, t0 + 60_000)).toEqual(recount(pods, rs, t0 + 60_000));
    expect(counts.counts(rs, t0 + 60_000).replicas).toBeGreaterThan(0);
  });
});

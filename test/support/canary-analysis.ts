/**
 * Canary analysis end to end, run inside an e2e file that already has a cluster of two real nodes
 * reporting request metrics every second (`test/rollouts.test.ts`): a Canary (Flagger's shape) over a
 * Deployment of hello, served through a Gateway listener on both nodes under steady load. A new
 * version (hello v2) is promoted through every weight step with no failed request; then a version
 * answering 500 to 30 % of its requests (hello v2 with FAIL_PERCENT=30) is rolled back at the
 * failed-checks threshold with fewer than 2 % of the run's requests failed; then a blue-green analysis
 * (iterations, no weights) switches back to hello v1 with no failed request. Between the last two, a
 * slow version (hello v2 with DELAY_MS=700) fails the request-duration check on its P99 and is rolled
 * back. Intervals are 1 s so the whole scenario costs little suite time. Figures are printed.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Canary, KubeObject } from '../../src/api/index.js';
import { ROOT, freePort, kind, until, type Cluster, type NodeSpec } from './cluster.js';
import { Load } from './load.js';

const V1 = join(ROOT, 'examples/wasm-apps/hello/dist/hello.wasm');
const V2 = join(ROOT, 'examples/wasm-apps/hello-v2/dist/hello-v2.wasm');

function target(image: string, env: object[] = []): object {
  const labels = { app: 'podinfo' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'podinfo' },
    spec: {
      // Two replicas: with one, the primary's rolling update at promotion can fail a request when a node
      // learns of the new pod's endpoint after the old pod began terminating (see docs/routing.md).
      replicas: 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        // As the rolling-update test's pods: a replaced pod drains while every node learns it is gone.
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [{ name: 'app', image, ports: [{ containerPort: 8080 }], env }],
        },
      },
    },
  };
}

/** Registers the canary tests on `cluster` (started by the caller's beforeAll) with `nodes`. */
export function canaryAnalysisSuite(cluster: Cluster, nodes: readonly NodeSpec[]): void {
  describe('Canary analysis (flagger.app/v1beta1) on the nodes’ request metrics', () => {
    let urls: string[] = [];
    const canary = (): Promise<Canary> =>
      cluster.client.get<Canary & KubeObject>(kind('canaries'), 'default', 'podinfo');
    const phase = (want: string) => async (): Promise<Canary | undefined> => {
      const c = await canary();
      return c.status?.phase === want ? c : undefined;
    };
    type Event = KubeObject & { message?: string; lastTimestamp?: string; involvedObject?: { kind?: string } };
    /** The Canary's event messages, oldest first; with `sinceMs`, only those last seen from that second on. */
    const events = async (sinceMs = 0): Promise<string[]> =>
      (await cluster.client.list<Event>(kind('events'), { namespace: 'default' })).items
        .filter((e) => e.involvedObject?.kind === 'Canary')
        .map((e) => ({ at: Date.parse(e.lastTimestamp ?? '') || 0, message: e.message ?? '' }))
        .filter((e) => e.at >= Math.floor(sinceMs / 1000) * 1000)
        .sort((a, b) => a.at - b.at)
        .map((e) => e.message);
    /**
     * Whether `message` was recorded, as itself or as the latest of combined similar events (every
     * canary event has reason Synced; past ten distinct messages they are combined, as Kubernetes does).
     */
    const saw = (messages: readonly string[], message: string): boolean =>
      messages.some((m) => m === message || m === `(combined from similar events): ${message}`);

    beforeAll(async () => {
      const started = Date.now();
      const port = await freePort(nodes[0]!.address);
      urls = nodes.map((n) => `http://${n.address}:${port}/healthz`);
      const docs = [
        target(V1),
        {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'Gateway',
          metadata: { name: 'canary-web' },
          spec: { gatewayClassName: 'edgeplane', listeners: [{ name: 'http', port, protocol: 'HTTP' }] },
        },
        {
          apiVersion: 'flagger.app/v1beta1',
          kind: 'Canary',
          metadata: { name: 'podinfo' },
          spec: {
            provider: 'gatewayapi:v1',
            targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
            progressDeadlineSeconds: 60,
            service: { port: 80, targetPort: 8080, gatewayRefs: [{ name: 'canary-web' }] },
            analysis: {
              interval: '1s',
              threshold: 2,
              // A first step of 5 %: a canary failing 30 % of its requests fails at most 1.5 % of all of
              // them before its rollback (Flagger's docs use steps of 5 and 10 alike).
              stepWeights: [5, 15, 30],
              metrics: [
                { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1s' },
                { name: 'request-duration', thresholdRange: { max: 2000 }, interval: '1s' },
              ],
            },
          },
        },
      ];
      const r = await cluster.edgectl(['apply', '-f', '-'], docs.map((d) => JSON.stringify(d)).join('\n---\n'));
      expect(r.code, r.stderr).toBe(0);
      await until('the canary initialized', phase('Initialized'), 90_000, 250);
      for (const url of urls)
        await until(`${url} answers`, async () => (await fetch(url).catch(() => undefined))?.status === 200, 30_000);
      console.log(`canary initialized in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }, 150_000);

    it('promotes a healthy new version through every step with zero failed requests', async () => {
      const load = new Load(urls, { concurrency: 2 });
      await load.completed(20);
      const change = await cluster.edgectl(['set', 'image', 'deployment/podinfo', `app=${V2}`]);
      expect(change.code, change.stderr).toBe(0);
      const weights = new Set<number>();
      const t0 = Date.now();
      const done = await until(
        'the canary promoted',
        async () => {
          const c = await canary();
          if (c.status?.phase === 'Progressing') weights.add(c.status.canaryWeight ?? 0);
          if (c.status?.phase === 'Failed') throw new Error(`rolled back: ${(await events()).join(' | ')}`);
          return c.status?.phase === 'Succeeded' ? c : undefined;
        },
        90_000,
        100,
      );
      const took = Date.now() - t0;
      await load.completed(40);
      const records = await load.stop();
      console.log(
        `canary promoted in ${(took / 1000).toFixed(1)} s: weights seen ${[...weights].join(',')}, ` +
          `${records.length} requests, ${load.failures.length} failed`,
        load.failures.slice(0, 3),
      );
      expect(load.failures).toEqual([]);
      expect(done.status).toMatchObject({ canaryWeight: 0, failedChecks: 0 });
      const messages = await events();
      expect(messages).toEqual(
        expect.arrayContaining([
          'Advance podinfo.default canary weight 5',
          'Advance podinfo.default canary weight 15',
          'Advance podinfo.default canary weight 30',
        ]),
      );
      expect(saw(messages, 'Promotion completed! Scaling down podinfo.default')).toBe(true);
      // The primary runs v2 now, and every request goes to it.
      const body = await (await fetch(urls[0]!)).text();
      expect(JSON.parse(body)).toMatchObject({ message: 'hello from Edgeplane, v2' });
      const get = await cluster.edgectl(['get', 'canaries']);
      expect(get.stdout).toMatch(/NAME\s+STATUS\s+WEIGHT\s+LASTTRANSITIONTIME\n\S*podinfo\s+Succeeded\s+0\s+\S+Z/);
    }, 120_000);

    it('rolls back a version answering 500 to 30 % of requests, with fewer than 2 % of all requests failed', async () => {
      const load = new Load(urls, { concurrency: 2 });
      await load.completed(20);
      const t0 = Date.now();
      const r = await cluster.edgectl(
        ['apply', '-f', '-'],
        JSON.stringify(target(V2, [{ name: 'FAIL_PERCENT', value: '30' }])),
      );
      expect(r.code, r.stderr).toBe(0);
      const failed = await until('the canary rolled back', phase('Failed'), 90_000, 100);
      const took = Date.now() - t0;
      await load.completed(40);
      const records = await load.stop();
      const share = (100 * load.failures.length) / records.length;
      const byCanary = load.failures.filter((f) => f.status === 500).length;
      console.log(
        `canary at 30 % errors rolled back in ${(took / 1000).toFixed(1)} s: ${records.length} requests, ` +
          `${load.failures.length} failed (${share.toFixed(2)} %), ${byCanary} of them 500s of the canary`,
      );
      // Printed before any assertion: the steps the canary took explain its share of failed requests.
      const messages = await events(t0);
      console.log(`rollback events: ${messages.join(' | ')}`);
      expect(failed.status).toMatchObject({ canaryWeight: 0, failedChecks: 2 });
      expect(failed.status?.conditions?.[0]).toMatchObject({ type: 'Promoted', status: 'False', reason: 'Failed' });
      expect(records.length).toBeGreaterThan(100);
      expect(share).toBeLessThan(2);
      // The last warnings of a rollback (the only ones certain to be there as themselves or combined).
      expect(saw(messages, 'Canary failed! Scaling down podinfo.default')).toBe(true);
      // After the rollback every request is answered by the primary (v2, healthy) again.
      await until('no request fails', async () => {
        const statuses = await Promise.all(urls.map(async (u) => (await fetch(u)).status));
        return statuses.every((s) => s === 200);
      });
      const target0 = await cluster.client.get<KubeObject & { spec: { replicas?: number } }>(
        kind('deployments'),
        'default',
        'podinfo',
      );
      expect(target0.spec.replicas).toBe(0);
      const status = await cluster.edgectl(['canary', 'status', 'podinfo']);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/^Phase:\s+Failed$/m);
      expect(status.stdout).toMatch(/^Failed checks:\s+2 of 2$/m);
      expect(status.stdout).toMatch(/^Promoted revision:\s+\S+$/m);
    }, 120_000);

    it('rolls back a slow version on its P99 request duration, the event naming the P99 against the max', async () => {
      // This test's bound only: hello v2 with DELAY_MS=700 answers in 0.7 s, far above it, while the
      // other tests keep a bound no healthy request misses on a loaded machine.
      const metrics = (max: number) => ({
        spec: {
          analysis: {
            metrics: [
              { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1s' },
              { name: 'request-duration', thresholdRange: { max }, interval: '1s' },
            ],
          },
        },
      });
      await cluster.client.patch(kind('canaries'), 'default', 'podinfo', metrics(500), { patchType: 'merge' });
      // Every Canary event from now on, as written (a later similar event may combine over a list's view).
      const listed = await cluster.client.list(kind('events'), { namespace: 'default' });
      const seen: string[] = [];
      const abort = new AbortController();
      const watching = (async () => {
        const opts = { namespace: 'default', resourceVersion: listed.metadata?.resourceVersion, signal: abort.signal };
        for await (const ev of cluster.client.watch<KubeObject & { message?: string }>(kind('events'), opts))
          seen.push(ev.object.message ?? '');
      })().catch(() => undefined);
      const load = new Load(urls, { concurrency: 2 });
      await load.completed(20);
      const r = await cluster.edgectl(
        ['apply', '-f', '-'],
        JSON.stringify(target(V2, [{ name: 'DELAY_MS', value: '700' }])),
      );
      expect(r.code, r.stderr).toBe(0);
      const failed = await until('the slow canary rolled back', phase('Failed'), 90_000, 100);
      const p99 = /advancement request duration P99 (\d+(?:\.\d+)?)ms > 500ms$/;
      const halts = await until('the P99 event arrived', () => {
        const found = seen.filter((m) => p99.test(m));
        return Promise.resolve(found.length > 0 ? found : undefined);
      });
      abort.abort();
      await watching;
      const records = await load.stop();
      console.log(
        `slow canary (700 ms) rolled back: ${halts.map((m) => m.replace(/^.*advancement /, '')).join(' | ')}; ` +
          `${records.length} requests, ${load.failures.length} failed`,
      );
      expect(failed.status).toMatchObject({ canaryWeight: 0, failedChecks: 2 });
      // Requests of 0.7 s fall in the bucket (500 ms, 1 s]: the P99 is interpolated inside it.
      for (const m of halts) expect(Number(p99.exec(m)![1])).toBeGreaterThan(500);
      expect(load.failures).toEqual([]);
      await cluster.client.patch(kind('canaries'), 'default', 'podinfo', metrics(2000), { patchType: 'merge' });
    }, 120_000);

    it('switches a blue-green analysis (iterations, no weights) at once, with zero failed requests', async () => {
      await cluster.client.patch(
        kind('canaries'),
        'default',
        'podinfo',
        { spec: { analysis: { stepWeights: null, iterations: 2 } } },
        { patchType: 'merge' },
      );
      const load = new Load(urls, { concurrency: 2 });
      await load.completed(20);
      const t0 = Date.now();
      const r = await cluster.edgectl(['apply', '-f', '-'], JSON.stringify(target(V1)));
      expect(r.code, r.stderr).toBe(0);
      const weights = new Set<number>();
      const done = await until(
        'the blue-green canary promoted',
        async () => {
          const c = await canary();
          if (c.status?.phase === 'Progressing') weights.add(c.status.canaryWeight ?? 0);
          if (c.status?.phase === 'Failed') throw new Error(`rolled back: ${(await events()).join(' | ')}`);
          return c.status?.phase === 'Succeeded' ? c : undefined;
        },
        90_000,
        100,
      );
      const took = Date.now() - t0;
      await load.completed(40);
      const records = await load.stop();
      console.log(
        `blue-green switched and promoted in ${(took / 1000).toFixed(1)} s: weights seen ${[...weights].join(',')}, ` +
          `${records.length} requests, ${load.failures.length} failed`,
        load.failures.slice(0, 3),
      );
      expect(load.failures).toEqual([]);
      expect(done.status).toMatchObject({ canaryWeight: 0, failedChecks: 0, iterations: 3 });
      // No step between 0 and 100: all traffic moved at once.
      expect([...weights].filter((w) => w !== 0 && w !== 100)).toEqual([]);
      const body = await (await fetch(urls[0]!)).text();
      expect(JSON.parse(body)).toMatchObject({ message: 'hello from Edgeplane' });
    }, 120_000);
  });
}

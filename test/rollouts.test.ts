/**
 * Rolling updates end to end: a Deployment of the example on two real nodes behind a NodePort, under
 * steady load through both nodes. Changing the image rolls out with zero failed requests; `rollout
 * undo` brings the old answer back, again with zero failures; an image that never becomes Ready stops
 * within maxUnavailable, leaves the old version serving, and `rollout status` exits non-zero. A
 * one-replica Deployment with maxSurge 0 rolls with zero failed requests too: its old pod, deleted
 * before the new one exists, keeps answering as a serving terminating endpoint until the new one is
 * Ready (kube-proxy's KEP-1669 fallback; the pod drains until quiet). Then the
 * Gateway API routes of test/support/gateway-routes.ts run on the same cluster (weighted v1/v2 traffic),
 * and the canary analysis of test/support/canary-analysis.ts (a promotion and a rollback).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, ROOT, httpGet, until, kind } from './support/cluster.js';
import { Load } from './support/load.js';
import { wasmServiceManifest } from './support/manifests.js';
import { gatewayRoutesSuite } from './support/gateway-routes.js';
import { canaryAnalysisSuite } from './support/canary-analysis.js';
import type { KubeObject } from '../src/api/index.js';

const NODES = [
  { name: 'roll-a', address: '127.0.13.2' },
  { name: 'roll-b', address: '127.0.13.3' },
];
const V1 = join(ROOT, 'examples/wasm-apps/hello/dist/hello.wasm');
const V2 = join(ROOT, 'examples/wasm-apps/hello-v2/dist/hello-v2.wasm');
const manifest = (image: string): string =>
  wasmServiceManifest({
    name: 'web',
    image,
    replicas: 4,
    nodePort: 30130,
    deployment: {
      progressDeadlineSeconds: 15,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
    },
    pod: { terminationGracePeriodSeconds: 5 },
  });

describe('rolling updates and rollbacks', () => {
  // Nodes report request metrics every second: the canary analysis reads them.
  const cluster = new Cluster(['--heartbeat-interval', '1s'], ['--metrics-interval', '1s']);
  const urls = NODES.map((n) => `http://${n.address}:30130/`);
  const messages = async (): Promise<Set<string>> => {
    const seen = new Set<string>();
    for (let i = 0; i < 16; i++)
      seen.add((JSON.parse((await httpGet(urls[i % 2]!)).body) as { message: string }).message);
    return seen;
  };

  const setProgressDeadline = async (seconds: number): Promise<void> => {
    const patch = JSON.stringify({ spec: { progressDeadlineSeconds: seconds } });
    const r = await cluster.edgectl(['patch', 'deployment', 'web', '--type', 'merge', '-p', patch]);
    expect(r.code, r.stderr).toBe(0);
  };

  beforeAll(async () => {
    await cluster.start(NODES);
    const r = await cluster.edgectl(['apply', '-f', '-'], manifest(V1));
    expect(r.code, r.stderr).toBe(0);
    const status = await cluster.edgectl(['rollout', 'status', 'deployment/web', '--timeout', '90s']);
    expect(status.code, status.stderr).toBe(0);
    for (const u of urls) await until(`NodePort ${u}`, async () => (await httpGet(u)).status === 200, 10_000);
  }, 150_000);

  afterAll(async () => {
    await cluster.stop();
  });

  it('rolls out a new image with zero failed requests, and rolls back with zero failed requests', async () => {
    expect(await messages()).toEqual(new Set(['hello from Edgeplane']));
    for (const [step, image, expected] of [
      ['update', V2, 'hello from Edgeplane, v2'],
      ['undo', undefined, 'hello from Edgeplane'],
    ] as const) {
      const load = new Load(urls, { concurrency: 2 });
      await load.completed(20); // traffic flows before the change
      const t0 = Date.now();
      const change = image
        ? await cluster.edgectl(['set', 'image', 'deployment/web', `web=${image}`])
        : await cluster.edgectl(['rollout', 'undo', 'deployment/web']);
      expect(change.code, change.stderr).toBe(0);
      const status = await cluster.edgectl(['rollout', 'status', 'deployment/web', '--timeout', '120s']);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/successfully rolled out/);
      const took = Date.now() - t0;
      await load.completed(40); // and keeps flowing after it
      const records = await load.stop();

      console.log(
        `${step}: rollout ${(took / 1000).toFixed(1)} s, ${records.length} requests, ${load.failures.length} failed`,
        load.failures.slice(0, 3),
      );
      expect(load.failures).toEqual([]);
      expect(records.length).toBeGreaterThan(100);
      expect(await messages()).toEqual(new Set([expected]));
    }
    const history = await cluster.edgectl(['rollout', 'history', 'deployment/web']);
    expect(history.stdout).toMatch(/REVISION/);
    expect(history.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(4); // header lines + revisions 2, 3
  }, 300_000);

  it('stops a rollout to an image that never becomes Ready within maxUnavailable, old version serving', async () => {
    const load = new Load(urls, { concurrency: 1 });
    const broken = `edgeplane.hub/broken.wasm@sha256:${'0'.repeat(64)}`;
    // A short deadline for this rollout only: it is bound to exceed it, and the test need not wait 15 s.
    // The deadline counts from the last progress (as Kubernetes), so the set-up of the new ReplicaSet
    // does not eat into it; it goes back to 15 s before the undo, which must not exceed it.
    await setProgressDeadline(5);
    expect((await cluster.edgectl(['set', 'image', 'deployment/web', `web=${broken}`])).code).toBe(0);
    const status = await cluster.edgectl(['rollout', 'status', 'deployment/web', '--timeout', '60s']);
    await load.stop();
    expect(status.code).not.toBe(0);
    expect(status.stderr).toMatch(/exceeded its progress deadline/);
    const d = await cluster.client.get<
      KubeObject & {
        status: { availableReplicas: number; conditions: Array<{ type: string; reason: string }> };
      }
    >(kind('deployments'), 'default', 'web');
    expect(d.status.availableReplicas).toBeGreaterThanOrEqual(3); // replicas 4 - maxUnavailable 1
    expect(d.status.conditions.find((c) => c.type === 'Progressing')?.reason).toBe('ProgressDeadlineExceeded');
    expect(load.failures).toEqual([]);
    expect(await messages()).toEqual(new Set(['hello from Edgeplane']));
    const pods = await cluster.edgectl(['get', 'pods']);
    expect(pods.stdout).toMatch(/ErrImagePull|ImagePullBackOff/);
    await setProgressDeadline(15);
    expect((await cluster.edgectl(['rollout', 'undo', 'deployment/web'])).code).toBe(0);
    expect((await cluster.edgectl(['rollout', 'status', 'deployment/web', '--timeout', '60s'])).code).toBe(0);
  }, 180_000);

  it('rolls a one-replica Deployment (maxSurge 0) with zero failed requests: the terminating pod serves until the new one is Ready', async () => {
    const solo = wasmServiceManifest({
      name: 'solo',
      image: V1,
      replicas: 1,
      nodePort: 30131,
      deployment: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } } },
      pod: { terminationGracePeriodSeconds: 30 },
    });
    expect((await cluster.edgectl(['apply', '-f', '-'], solo)).code).toBe(0);
    expect((await cluster.edgectl(['rollout', 'status', 'deployment/solo', '--timeout', '60s'])).code).toBe(0);
    const soloUrls = NODES.map((n) => `http://${n.address}:30131/`);
    for (const u of soloUrls) await until(`NodePort ${u}`, async () => (await httpGet(u)).status === 200, 10_000);
    const load = new Load(soloUrls, { concurrency: 1 });
    await load.completed(20);
    const t0 = Date.now();
    expect((await cluster.edgectl(['set', 'image', 'deployment/solo', `solo=${V2}`])).code).toBe(0);
    const status = await cluster.edgectl(['rollout', 'status', 'deployment/solo', '--timeout', '60s']);
    expect(status.code, status.stderr).toBe(0);
    const took = Date.now() - t0;
    await load.completed(40);
    const records = await load.stop();
    // Requests answered by the old pod after the change: those its terminating endpoint took.
    const pods = [...new Set(records.map((r) => r.pod))];
    const oldAfter = records.filter((r) => r.at > t0 && r.pod === records[0]!.pod).length;
    console.log(
      `one replica, maxSurge 0: rollout ${(took / 1000).toFixed(1)} s, ${records.length} requests, ` +
        `${load.failures.length} failed, ${oldAfter} answered by the old pod after the change; pods ${pods.join(', ')}`,
      load.failures.slice(0, 3),
    );
    expect(load.failures).toEqual([]);
    expect(pods).toHaveLength(2);
    expect((await cluster.edgectl(['delete', 'deployment', 'solo'])).code).toBe(0);
    expect((await cluster.edgectl(['delete', 'service', 'solo'])).code).toBe(0);
  }, 120_000);

  // Weighted routes (Gateway API) on the same two nodes: progressive delivery's traffic half.
  gatewayRoutesSuite(cluster, NODES, 30163);

  // Canary analysis (Flagger's shape) on the same two nodes: progressive delivery's analysis half.
  canaryAnalysisSuite(cluster, NODES);
});

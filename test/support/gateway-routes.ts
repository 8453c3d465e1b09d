/**
 * Gateway API routes end to end, run inside an e2e file that already has a cluster of two real nodes
 * (`test/rollouts.test.ts`): hello v1 and v2 as two Deployments behind two Services, a Gateway
 * listener served on both nodes' addresses with an HTTPRoute 90/10 (and a header that sends marked
 * requests to v2 only), and a GAMMA HTTPRoute 90/10 on the Service `hello` that the shop's frontend
 * calls pod to pod. Answers are counted and the figures printed. One replica of each version: a split
 * by replica count would be 50/50.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/api/index.js';
import { ROOT, freePort, kind, until, type Cluster, type NodeSpec } from './cluster.js';

const V1 = join(ROOT, 'examples/wasm-apps/hello/dist/hello.wasm');
const V2 = join(ROOT, 'examples/wasm-apps/hello-v2/dist/hello-v2.wasm');
const FRONTEND = join(ROOT, 'examples/wasm-apps/shop/frontend/dist/frontend.wasm');
const GW = 'gateway.networking.k8s.io/v1';

function deployment(name: string, image: string, labels: Record<string, string>, env: object[] = []): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 8080 }], env }] },
      },
    },
  };
}
function service(name: string, selector: Record<string, string>, nodePort?: number): object {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: {
      ...(nodePort ? { type: 'NodePort' } : {}),
      selector,
      ports: [{ port: 80, targetPort: 8080, ...(nodePort ? { nodePort } : {}) }],
    },
  };
}
const split = (v1: number, v2: number): object[] => [
  { name: 'hello-v1', port: 80, weight: v1 },
  { name: 'hello-v2', port: 80, weight: v2 },
];

/** Counts of answers by version over `n` GETs of `url`s (round-robin), `workers` at a time; failures counted apart. */
async function count(
  urls: string[],
  n: number,
  version: (body: string) => string,
  headers: Record<string, string> = {},
): Promise<{ v1: number; v2: number; failed: number }> {
  const out = { v1: 0, v2: 0, failed: 0 };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const url = urls[next++ % urls.length]!;
      try {
        const res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
        const body = await res.text();
        if (res.status !== 200) out.failed++;
        else out[version(body) === 'v2' ? 'v2' : 'v1']++;
      } catch {
        out.failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return out;
}
const helloVersion = (body: string): string =>
  (JSON.parse(body) as { message: string }).message.endsWith('v2') ? 'v2' : 'v1';
const frontVersion = (body: string): string =>
  (JSON.parse(body) as { catalog: { message: string } }).catalog.message.endsWith('v2') ? 'v2' : 'v1';

/** Registers the Gateway API route tests on `cluster` (started by the caller's beforeAll) with `nodes`. */
export function gatewayRoutesSuite(cluster: Cluster, nodes: readonly NodeSpec[], frontNodePort: number): void {
  describe('Gateway API routes with weighted backends', () => {
    let gwPort = 0;
    let frontPort = 0;
    const gwUrls = (path: string): string[] => nodes.map((n) => `http://${n.address}:${gwPort}${path}`);

    beforeAll(async () => {
      gwPort = await freePort(nodes[0]!.address);
      frontPort = frontNodePort;
      const docs = [
        deployment('hello-v1', V1, { app: 'hello', version: 'v1' }),
        deployment('hello-v2', V2, { app: 'hello', version: 'v2' }),
        service('hello-v1', { app: 'hello', version: 'v1' }),
        service('hello-v2', { app: 'hello', version: 'v2' }),
        service('hello', { app: 'hello' }),
        deployment('front', FRONTEND, { app: 'front' }, [{ name: 'CATALOG_URL', value: 'http://hello' }]),
        service('front', { app: 'front' }, frontPort),
        {
          apiVersion: GW,
          kind: 'Gateway',
          metadata: { name: 'web' },
          spec: { gatewayClassName: 'edgeplane', listeners: [{ name: 'http', port: gwPort, protocol: 'HTTP' }] },
        },
        {
          apiVersion: GW,
          kind: 'HTTPRoute',
          metadata: { name: 'hello' },
          spec: {
            parentRefs: [{ name: 'web' }],
            rules: [
              {
                matches: [
                  { path: { type: 'PathPrefix', value: '/' }, headers: [{ name: 'x-canary', value: 'always' }] },
                ],
                backendRefs: split(0, 1),
              },
              { backendRefs: split(90, 10), timeouts: { request: '5s' } },
            ],
          },
        },
        {
          apiVersion: GW,
          kind: 'HTTPRoute',
          metadata: { name: 'hello-mesh' },
          spec: {
            parentRefs: [{ group: '', kind: 'Service', name: 'hello', port: 80 }],
            rules: [{ backendRefs: split(90, 10) }],
          },
        },
      ];
      const r = await cluster.edgectl(['apply', '-f', '-'], docs.map((d) => JSON.stringify(d)).join('\n---\n'));
      expect(r.code, r.stderr).toBe(0);
      // Each Service has a ready endpoint (read from the API: no edgectl process per check).
      for (const name of ['hello-v1', 'hello-v2', 'front'])
        await until(
          `a ready endpoint of ${name}`,
          async () => {
            const ep = await cluster.client
              .get<KubeObject & { subsets?: Array<{ addresses?: unknown[] }> }>(kind('endpoints'), 'default', name)
              .catch(() => undefined);
            return (ep?.subsets?.[0]?.addresses?.length ?? 0) > 0;
          },
          90_000,
        );
      // Every node serves the Gateway port and the frontend's NodePort, with both versions' endpoints known.
      for (const url of [...gwUrls('/'), ...nodes.map((n) => `http://${n.address}:${frontPort}/api/items`)])
        await until(`${url} answers`, async () => (await fetch(url).catch(() => undefined))?.status === 200, 30_000);
    }, 180_000);

    it('shows Gateways and HTTPRoutes with their status, as kubectl prints the Gateway API columns', async () => {
      const route = await until('route accepted', async () => {
        const o = await cluster.client.get<
          KubeObject & { status?: { parents: Array<{ conditions: Array<{ type: string; status: string }> }> } }
        >(kind('httproutes'), 'default', 'hello');
        return o.status?.parents[0]?.conditions.every((c) => c.status === 'True') ? o : undefined;
      });
      expect(route.status?.parents[0]?.conditions.map((c) => c.type)).toEqual(['Accepted', 'ResolvedRefs']);
      const get = await until('the Gateway programmed', async () => {
        const r = await cluster.edgectl(['get', 'gateways,httproutes']);
        return r.code === 0 && /\sTrue\s/.test(r.stdout) ? r : undefined;
      });
      expect(get.stdout).toMatch(/NAME\s+CLASS\s+ADDRESS\s+PROGRAMMED\s+AGE\n\S*web\s+edgeplane\s+[0-9.]+\s+True\s+/);
      expect(get.stdout).toMatch(/NAME\s+HOSTNAMES\s+AGE\n\S*hello\s+\S+/);
    });

    it('splits requests through the Gateway port 90/10 per request on both nodes (2,000 requests)', async () => {
      const c = await count(gwUrls('/'), 2000, helloVersion);
      const share = (c.v2 / 2000) * 100;
      console.log(`Gateway port: v1 ${c.v1}, v2 ${c.v2}, failed ${c.failed} of 2000 (v2 ${share.toFixed(1)}%)`);
      expect(c.failed).toBe(0);
      expect(Math.abs(share - 10)).toBeLessThanOrEqual(3);
    });

    it('sends requests marked with the header to v2 only', async () => {
      const c = await count(gwUrls('/'), 200, helloVersion, { 'x-canary': 'always' });
      expect(c).toEqual({ v1: 0, v2: 200, failed: 0 });
    });

    it("splits pods' calls to the Service 90/10 by its GAMMA route (400 calls through the frontend)", async () => {
      const urls = nodes.map((n) => `http://${n.address}:${frontPort}/api/items`);
      const c = await count(urls, 400, frontVersion);
      const share = (c.v2 / 400) * 100;
      console.log(`pod to pod: v1 ${c.v1}, v2 ${c.v2}, failed ${c.failed} of 400 (v2 ${share.toFixed(1)}%)`);
      expect(c.failed).toBe(0);
      expect(Math.abs(share - 10)).toBeLessThanOrEqual(4.5); // 3 standard deviations at 400 calls
    });

    it('follows a weight change on every node (the time it takes is measured and printed)', async () => {
      // The API client in-process (no CLI start-up): the time counts from the request that changes the route.
      const t0 = Date.now();
      await cluster.client.patch(
        kind('httproutes'),
        'default',
        'hello',
        [{ op: 'replace', path: '/spec/rules/1/backendRefs', value: split(0, 100) }],
        { patchType: 'json' },
      );
      const patched = Date.now();
      // Per node, when its answers turned to v2 for good: the start of its last run of v1-free answers
      // (a run of 10 in a row, which 10 % weights would give by chance 1 time in 10^10).
      const reached = await Promise.all(
        nodes.map(async (n) => {
          const url = `http://${n.address}:${gwPort}/`;
          let since: number | undefined;
          let streak = 0;
          await until(
            `${n.name} sends all to v2`,
            async () => {
              const at = Date.now();
              const res = await fetch(url);
              const v = res.status === 200 ? helloVersion(await res.text()) : 'failed';
              if (v === 'v2') {
                since ??= at;
                streak++;
              } else {
                since = undefined;
                streak = 0;
              }
              return streak >= 10;
            },
            10_000,
            0,
          );
          return since! - t0;
        }),
      );
      console.log(
        `weight change 90/10 -> 0/100: the patch answered in ${patched - t0} ms; the nodes routed by the new ` +
          `weights ${reached.map((ms) => `${ms} ms`).join(' and ')} after it was sent`,
      );
      expect(reached.every((ms) => Number.isFinite(ms))).toBe(true);
    });
  });
}

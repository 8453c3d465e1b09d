/**
 * The Gateway API kinds and Flagger's Canary through the real kubectl, run inside
 * `test/kubectl-apply.test.ts` (a hub, no nodes): apply (client and server side), tables, describe,
 * explain, wait, patch and edit of a weight; then `kubectl delete gatewayclass` of a class a Gateway
 * uses: it stays (its finalizer) until that Gateway is deleted, then goes.
 */
import { chmodSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GatewayClass, HTTPRoute } from '../../src/api/index.js';
import { kind, until, type Cluster } from './cluster.js';
import type { KubectlResult } from './kubectl.js';

/** The finalizer Gateway API controllers put on a class in use. */
const IN_USE = 'gateway-exists-finalizer.gateway.networking.k8s.io';

/** Registers the suite; `kubectl` runs as admin, `file` writes a file in the cluster's directory. */
export function kubectlRoutesSuite(
  cluster: Cluster,
  kubectl: (args: string[], env?: Record<string, string>) => Promise<KubectlResult>,
  file: (name: string, text: string) => string,
): void {
  describe('routes and canaries through kubectl', () => {
    it('routes and canaries: apply (client and server side), get tables, describe, explain, wait, patch and edit a weight', async () => {
      const route = (w1: number, w2: number): string => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: split
spec:
  parentRefs:
    - name: web
  rules:
    - backendRefs:
        - name: rt-v1
          port: 80
          weight: ${w1}
        - name: rt-v2
          port: 80
          weight: ${w2}
`;
      const svc = (name: string) => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector:
    app: ${name}
  ports:
    - port: 80
`;
      const all = file(
        'routes.yaml',
        [
          `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: fast
spec:
  controllerName: edgeplane.io/gateway-controller
  description: served on every node
`,
          `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: web
spec:
  gatewayClassName: fast
  listeners:
    - name: http
      port: 18086
      protocol: HTTP
`,
          svc('rt-v1'),
          svc('rt-v2'),
          route(90, 10),
          `apiVersion: apps/v1
kind: Deployment
metadata:
  name: rt
spec:
  replicas: 1
  selector:
    matchLabels:
      app: rt
  template:
    metadata:
      labels:
        app: rt
    spec:
      containers:
        - name: main
          image: hello.wasm
`,
          `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: rt
spec:
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: rt
  service:
    port: 80
  analysis:
    interval: 10s
    threshold: 2
    stepWeight: 20
    maxWeight: 60
    metrics:
      - name: request-success-rate
        thresholdRange:
          min: 99
`,
        ].join('---\n'),
      );
      const applied = await kubectl(['apply', '-f', all]);
      expect(applied.code, applied.err).toBe(0);
      expect(applied.out.trim().split('\n')).toEqual([
        'gatewayclass.gateway.networking.k8s.io/fast created',
        'gateway.gateway.networking.k8s.io/web created',
        'service/rt-v1 created',
        'service/rt-v2 created',
        'httproute.gateway.networking.k8s.io/split created',
        'deployment.apps/rt created',
        'canary.flagger.app/rt created',
      ]);
      // The controller's conditions, waited for as kubectl waits (a watch on the object).
      for (const obj of ['gatewayclass/fast', 'gateway/web']) {
        const waited = await kubectl(['wait', '--for=condition=Accepted', obj, '--timeout=60s']);
        expect(waited.code, waited.err).toBe(0);
      }
      const waitedProgrammed = await kubectl(['wait', '--for=condition=Programmed', 'gateway/web', '--timeout=60s']);
      expect(waitedProgrammed.out.trim()).toBe('gateway.gateway.networking.k8s.io/web condition met');

      const tables = await kubectl(['get', 'gatewayclasses,gateways,httproutes,canaries']);
      expect(tables.code, tables.err).toBe(0);
      const headers = tables.out.split('\n').filter((l) => l.startsWith('NAME'));
      expect(headers.map((h) => h.split(/\s+/).filter(Boolean))).toEqual([
        ['NAME', 'CONTROLLER', 'ACCEPTED', 'AGE'],
        ['NAME', 'CLASS', 'ADDRESS', 'PROGRAMMED', 'AGE'],
        ['NAME', 'HOSTNAMES', 'AGE'],
        ['NAME', 'STATUS', 'WEIGHT', 'LASTTRANSITIONTIME'],
      ]);
      expect(tables.out).toMatch(
        /^gatewayclass\.gateway\.networking\.k8s\.io\/fast\s+edgeplane\.io\/gateway-controller\s+True\s+/m,
      );
      expect(tables.out).toMatch(/^gateway\.gateway\.networking\.k8s\.io\/web\s+fast\s+\S*\s*True\s+/m);
      expect(tables.out).toMatch(/^httproute\.gateway\.networking\.k8s\.io\/split\s+/m);
      expect(tables.out).toMatch(/^canary\.flagger\.app\/rt\s+/m);

      const described = await kubectl(['describe', 'httproute', 'split']);
      expect(described.code, described.err).toBe(0);
      expect(described.out).toMatch(/^Kind:\s+HTTPRoute$/m);
      expect(described.out).toMatch(/Weight:\s+90/);
      const explained = await kubectl(['explain', 'httproute.spec.rules.backendRefs']);
      expect(explained.code, explained.err).toBe(0);
      expect(explained.out).toMatch(/^GROUP:\s+gateway\.networking\.k8s\.io$/m);
      expect(explained.out).toMatch(/^\s+weight\s+<integer>/m);

      const weights = async () =>
        (await cluster.client.get<HTTPRoute>(kind('httproutes'), 'default', 'split')).spec.rules?.[0]?.backendRefs?.map(
          (b) => b.weight,
        );
      const patched = await kubectl([
        'patch',
        'httproute',
        'split',
        '--type=json',
        '-p',
        '[{"op":"replace","path":"/spec/rules/0/backendRefs/0/weight","value":50},{"op":"replace","path":"/spec/rules/0/backendRefs/1/weight","value":50}]',
      ]);
      expect(patched.out.trim(), patched.err).toBe('httproute.gateway.networking.k8s.io/split patched');
      expect(await weights()).toEqual([50, 50]);
      const editor = file('weights.sh', '#!/bin/sh\nsed -i "s/weight: 50/weight: 70/" "$1"\n');
      chmodSync(editor, 0o755);
      const edited = await kubectl(['edit', 'httproute', 'split'], { KUBE_EDITOR: editor });
      expect(edited.out.trim(), edited.err).toBe('httproute.gateway.networking.k8s.io/split edited');
      expect(await weights()).toEqual([70, 70]);
      const ssa = await kubectl([
        'apply',
        '--server-side',
        '--force-conflicts',
        '-f',
        file('split.yaml', route(20, 80)),
      ]);
      expect(ssa.out.trim(), ssa.err).toBe('httproute.gateway.networking.k8s.io/split serverside-applied');
      expect(await weights()).toEqual([20, 80]);
    });

    it('delete gatewayclass of a class in use: it stays (finalizer) while Gateway web uses it, and goes with it', async () => {
      const klass = () => cluster.client.get<GatewayClass>(kind('gatewayclasses'), undefined, 'fast');
      expect((await klass()).metadata.finalizers).toContain(IN_USE);
      const deleted = await kubectl(['delete', 'gatewayclass', 'fast', '--wait=false']);
      expect(deleted.code, deleted.err).toBe(0);
      expect(deleted.out.trim()).toBe('gatewayclass.gateway.networking.k8s.io "fast" deleted');
      // Marked for deletion, and kept: Gateway web still names it.
      const held = await kubectl([
        'get',
        'gatewayclass',
        'fast',
        '-o',
        'jsonpath={.metadata.deletionTimestamp} {.metadata.finalizers}',
      ]);
      expect(held.code, held.err).toBe(0);
      expect(held.out).toMatch(/^\d{4}-\d\d-\d\dT\S+ \S*gateway-exists-finalizer/);
      expect((await kubectl(['get', 'gateway', 'web'])).code).toBe(0);
      const gw = await kubectl(['delete', 'gateway', 'web', '--wait=false']);
      expect(gw.code, gw.err).toBe(0);
      await until(
        'the class gone once no Gateway uses it',
        async () => (await kubectl(['get', 'gatewayclass', 'fast'])).err.includes('NotFound'),
        30_000,
      );
      const gone = await kubectl(['get', 'gatewayclass', 'fast']);
      expect(gone.code).not.toBe(0);
      expect(gone.err).toMatch(/\(NotFound\).*gatewayclasses\.gateway\.networking\.k8s\.io "fast" not found/);
    });
  });
}

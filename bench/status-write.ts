/**
 * What a pod status report costs the hub before its store write (prints figures; not a test), on a
 * pod as a rollout's look: one container with a port, requests and a probe, a Running and Ready status.
 *   - the no-op checks: `jsonEqual` on a whole pod (every update compares what it built with what is
 *     stored) and on a status (the node gateway skips a report equal to the stored status), against
 *     the earlier definition, both values stringified with their keys sorted;
 *   - the input's validation: a status write with the pod's spec (validated whole) and without it
 *     (metadata and status only: a status write keeps the stored spec);
 *   - what each write's event costs the watch cache: the store's JSON.parse of the stored text, and
 *     swapping the parsed string values for their canonical copies (`StringInterner`), with the
 *     table warm (a rollout's repeated values) and cold (every value new: the worst case).
 *
 * Bundled, as the hub runs from `dist/` (tsx would time its own wrappers):
 *   npx esbuild bench/status-write.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=.cache/status-write.mjs && node .cache/status-write.mjs [--rounds 3]
 */
import { jsonEqual, typeByKind, validateObject, validateStatusInput, type Pod } from '../src/api/index.js';
import { StringInterner } from '../src/hub/cache/string-interner.js';
import { canonical } from '../src/hub/reconcile/index.js';
import { arg } from './wasm-support.js';

const ROUNDS = arg('rounds', 3);
const POD = typeByKind('v1', 'Pod')!;
const at = '2026-12-06T00:00:00Z';
const pod = validateObject<Pod>(POD, {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web-7d9f8-abcde',
    namespace: 'default',
    uid: '0b6f3c1e-1111-2222-3333-444455556666',
    resourceVersion: '12345',
    labels: { app: 'web', 'pod-template-hash': '7d9f8' },
    creationTimestamp: at,
    generation: 1,
    ownerReferences: [
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: 'web-7d9f8',
        uid: '0b6f3c1e-1111-2222-3333-444455556667',
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  },
  spec: {
    nodeName: 'hollow-1',
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    runtimeClassName: 'wasm',
    containers: [
      {
        name: 'web',
        image: 'ghcr.io/example/hello:1.0',
        ports: [{ containerPort: 8080, protocol: 'TCP' }],
        resources: { requests: { cpu: '10m', memory: '16Mi' } },
        readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 5 },
      },
    ],
  },
  status: {
    phase: 'Running',
    podIP: '10.0.0.5',
    hostIP: '192.168.1.5',
    startTime: at,
    conditions: [
      { type: 'Ready', status: 'True', lastTransitionTime: at },
      { type: 'PodScheduled', status: 'True', lastTransitionTime: at },
    ],
    containerStatuses: [
      {
        name: 'web',
        image: 'ghcr.io/example/hello:1.0',
        ready: true,
        restartCount: 0,
        state: { running: { startedAt: at } },
      },
    ],
  },
});
const copy = structuredClone(pod);
const sortedJsonEqual = (a: unknown, b: unknown): boolean =>
  JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
const { apiVersion, kind, metadata, status } = pod;
const specless = { apiVersion, kind, metadata, status };
const text = JSON.stringify(pod);
const warm = new StringInterner();
warm.internValues(JSON.parse(text));

function time(name: string, n: number, f: () => unknown): void {
  for (let i = 0; i < n / 10; i++) f();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) f();
  console.log(`| ${name} | ${(((performance.now() - t0) * 1000) / n).toFixed(2)} |`);
}

for (let r = 1; r <= ROUNDS; r++) {
  console.log(`\nround ${r}\n| what | µs a call |\n|---|---|`);
  time('whole pod, equal: sorted JSON (before)', 20_000, () => sortedJsonEqual(pod, copy));
  time('whole pod, equal: jsonEqual', 20_000, () => jsonEqual(pod, copy));
  time('status, equal: sorted JSON (before)', 50_000, () => sortedJsonEqual(pod.status, copy.status));
  time('status, equal: jsonEqual', 50_000, () => jsonEqual(pod.status, copy.status));
  time('status input with the spec (validated whole)', 20_000, () => validateStatusInput(POD, pod));
  time('status input without the spec', 20_000, () => validateStatusInput(POD, specless));
  time('JSON.parse of the stored pod', 20_000, () => JSON.parse(text));
  time('JSON.parse + interning, warm table', 20_000, () => warm.internValues(JSON.parse(text)));
  time('JSON.parse + interning, cold table (each value new)', 20_000, () =>
    new StringInterner({ maxEntries: 1 }).internValues(JSON.parse(text)),
  );
}

/**
 * Fuzz target `manifests`: manifests sent to the real hub API (in-process `createApiApp` over a
 * SQLite store), random and mutated from the examples (examples/**\/*.yaml plus a few seeds for the
 * kinds the examples lack). Mutations: drop, duplicate and retype fields, huge and non-finite
 * numbers, NaN-like strings, unknown fields, deep nesting, long strings, prototype keys; sent with
 * POST (create) or PUT (update of an existing object).
 *
 * Properties: every answer is a 2xx or a Kubernetes Status 4xx that says what is wrong (422 with
 * field causes), never 5xx; nothing reaches Object.prototype; the hub stays healthy; the heap does
 * not grow without bound (checked every 2,000 cases).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { typeByKind, type ResourceType } from '../../../src/api/index.js';
import { expectNoPollution, expectSuccessOrStatus, startApi, type ApiUnderTest } from '../api-under-test.js';
import type { FuzzTarget } from '../target.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Ctx {
  hub: ApiUnderTest;
  seeds: Json[];
  cases: number;
  heapBaseline: number | undefined;
}

/** One mutation, at the `at`-th node of the document (modulo its size). */
type Mutation =
  | { op: 'drop'; at: number }
  | { op: 'duplicate'; at: number }
  | { op: 'retype'; at: number; value: Json }
  | { op: 'number'; at: number; value: number | string }
  | { op: 'unknown'; at: number; key: string; value: Json }
  | { op: 'nest'; at: number; depth: number; array: boolean }
  | { op: 'long'; at: number; length: number; char: string }
  | { op: 'proto'; at: number; key: '__proto__' | 'constructor' | 'prototype' };

interface Case {
  doc: Json;
  /** Raw text to send instead of `JSON.stringify(doc)` (an own `__proto__` key survives only in text). */
  text?: string;
  method: 'POST' | 'PUT';
}

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(name)) out.push(p);
  }
  return out;
}

const pod = (spec: Record<string, Json> = {}): Json => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'seed-pod', labels: { app: 'seed' }, annotations: { note: 'x' } },
  spec: {
    containers: [
      {
        name: 'main',
        image: 'hello.wasm',
        args: ['a'],
        env: [{ name: 'A', value: '1' }],
        resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: 1, memory: '128Mi' } },
        livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 5, timeoutSeconds: 1 },
        readinessProbe: { tcpSocket: { port: 8080 }, initialDelaySeconds: 1 },
      },
    ],
    terminationGracePeriodSeconds: 30,
    tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }],
    ...spec,
  },
});

/** Seeds for kinds the examples do not show (ConfigMap and Secret are not served yet: they test unknown kinds). */
const EXTRA_SEEDS: Json[] = [
  pod(),
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'seed-cm' }, data: { 'a.txt': 'hello' } },
  {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'seed-secret' },
    type: 'Opaque',
    stringData: { password: 'x' },
  },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'seed-ns' } },
  {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'seed-job' },
    spec: {
      backoffLimit: 2,
      activeDeadlineSeconds: 60,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'job.wasm' }] } },
    },
  },
  {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'seed-ds' },
    spec: {
      selector: { matchLabels: { app: 'ds' } },
      template: { metadata: { labels: { app: 'ds' } }, spec: { containers: [{ name: 'c', image: 'ds.wasm' }] } },
    },
  },
];

/** Every node of a document with the way to reach it: [parent, key] pairs (the root has none). */
function nodes(doc: Json): { parent: Json[] | { [k: string]: Json }; key: string | number }[] {
  const out: { parent: Json[] | { [k: string]: Json }; key: string | number }[] = [];
  const stack: Json[] = [doc];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        out.push({ parent: v, key: i });
        stack.push(x);
      });
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        out.push({ parent: v, key: k });
        stack.push(x);
      }
    }
  }
  return out;
}

function setAt(parent: Json[] | { [k: string]: Json }, key: string | number, value: Json): void {
  if (Array.isArray(parent)) parent[key as number] = value;
  else Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Applies mutations to a copy of `seed`; returns the document and, for prototype keys, its text. */
function mutate(seed: Json, muts: Mutation[]): { doc: Json; text?: string } {
  const doc = structuredClone(seed);
  let protoText: { key: string; marker: string } | undefined;
  for (const m of muts) {
    const all = nodes(doc);
    if (all.length === 0) break;
    const { parent, key } = all[m.at % all.length]!;
    const cur = (parent as Record<string | number, Json>)[key] ?? null;
    switch (m.op) {
      case 'drop':
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key as string];
        break;
      case 'duplicate':
        if (Array.isArray(parent))
          parent.push(structuredClone(cur)); // a repeated entry: two containers, ports or env vars alike
        else if (Array.isArray(cur))
          cur.push(...structuredClone(cur)); // every entry twice
        else parent[`${String(key)}-copy`] = structuredClone(cur); // a sibling with the same content
        break;
      // Generated values are cloned in: fast-check hands out the same constant instances to every
      // case, and a later mutation of one (a duplicate doubling an array) would grow it across cases.
      case 'retype':
        setAt(parent, key, structuredClone(m.value));
        break;
      case 'number':
        setAt(parent, key, m.value);
        break;
      case 'unknown': {
        const target = cur !== null && typeof cur === 'object' && !Array.isArray(cur) ? cur : parent;
        if (!Array.isArray(target)) setAt(target, m.key, structuredClone(m.value));
        break;
      }
      case 'nest': {
        let v: Json = cur;
        for (let i = 0; i < m.depth; i++) v = m.array ? [v] : { a: v };
        setAt(parent, key, v);
        break;
      }
      case 'long':
        setAt(parent, key, m.char.repeat(m.length));
        break;
      case 'proto': {
        // JSON.stringify drops nothing here, but the key must be an own property in the text the hub parses.
        const marker = `__fuzz_proto_${m.at}__`;
        const target =
          cur !== null && typeof cur === 'object' && !Array.isArray(cur)
            ? cur
            : Array.isArray(parent)
              ? undefined
              : parent;
        if (target) {
          setAt(target, marker, { polluted: 'yes' });
          protoText = { key: m.key, marker };
        }
        break;
      }
    }
  }
  if (!protoText) return { doc };
  return { doc, text: JSON.stringify(doc).replaceAll(`"${protoText.marker}"`, JSON.stringify(protoText.key)) };
}

const jsonLeaf: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 20 }),
  fc.constantFrom<Json>(
    '',
    '0',
    '-1',
    '1e400',
    'NaN',
    'Infinity',
    '500m',
    '128Mi',
    'IfNotPresent',
    'Always',
    'TCP',
    'wasm',
    'oci',
    'a=b',
    '25%',
  ),
);
const jsonValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: jsonLeaf },
  { weight: 1, arbitrary: fc.array(jsonLeaf, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), jsonLeaf, { maxKeys: 4 }) },
  // Objects whose toString/valueOf are not functions: String(v) and `${v}` throw on them.
  { weight: 1, arbitrary: fc.constantFrom<Json>({ toString: 1 }, { valueOf: 'x', toString: null }, { toJSON: 1 }) },
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('retype' as const), at: fc.nat(), value: jsonValue }),
  fc.record({
    op: fc.constant('number' as const),
    at: fc.nat(),
    value: fc.oneof(
      fc.constantFrom<number | string>(
        1e308,
        -1e308,
        Number.MAX_VALUE,
        Number.MIN_VALUE,
        2 ** 53 + 2,
        -(2 ** 31),
        2 ** 31,
        2 ** 63,
        1e21,
        0.5,
        -0,
        '1e400',
        'NaN',
        'Infinity',
        '-Infinity',
        '9Ei',
        '1e19',
        '0x10',
        '1_000',
      ),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
    ),
  }),
  fc.record({
    op: fc.constant('unknown' as const),
    at: fc.nat(),
    key: fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('status', 'spec', 'extra', 'hostPID', 'volumes', 'initContainers'),
    ),
    value: jsonValue,
  }),
  fc.record({
    op: fc.constant('nest' as const),
    at: fc.nat(),
    depth: fc.oneof(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 90, max: 150 })),
    array: fc.boolean(),
  }),
  fc.record({
    op: fc.constant('long' as const),
    at: fc.nat(),
    length: fc.oneof(fc.integer({ min: 60, max: 300 }), fc.integer({ min: 10_000, max: 64_000 })),
    char: fc.constantFrom('a', '-', '.', ' ', '\u00e9', '9', '/'),
  }),
  fc.record({
    op: fc.constant('proto' as const),
    at: fc.nat(),
    key: fc.constantFrom('__proto__' as const, 'constructor' as const, 'prototype' as const),
  }),
);

/** Where to send a document: its own collection when its apiVersion/kind are known, else Pods. */
function collectionOf(doc: Json): { type: ResourceType; path: string } {
  const o = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? doc : {};
  const type =
    (typeof o.apiVersion === 'string' && typeof o.kind === 'string' ? typeByKind(o.apiVersion, o.kind) : undefined) ??
    typeByKind('v1', 'Pod')!;
  const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  return { type, path: type.namespaced ? `${base}/namespaces/default/${type.plural}` : `${base}/${type.plural}` };
}

export const target: FuzzTarget<Ctx, Case> = {
  name: 'manifests',
  async setup() {
    const seeds: Json[] = [...EXTRA_SEEDS];
    for (const file of yamlFiles(EXAMPLES)) {
      for (const d of parseAllDocuments(readFileSync(file, 'utf8'))) {
        const v = d.toJSON() as Json;
        if (v !== null && typeof v === 'object') seeds.push(v);
      }
    }
    return { hub: await startApi('fuzz-manifests-'), seeds, cases: 0, heapBaseline: undefined };
  },
  arbitrary(ctx) {
    const mutated = fc
      .record({
        seed: fc.nat({ max: ctx.seeds.length - 1 }),
        muts: fc.array(mutation, { minLength: 0, maxLength: 4 }),
        method: fc.constantFrom('POST' as const, 'PUT' as const),
      })
      .map(({ seed, muts, method }) => ({ ...mutate(ctx.seeds[seed]!, muts), method }));
    const random = fc
      .record({
        apiVersion: fc.constantFrom('v1', 'apps/v1', 'batch/v1', 'autoscaling/v2', 'v2', ''),
        kind: fc.constantFrom('Pod', 'Deployment', 'Service', 'ConfigMap', 'Job', 'Widget'),
        rest: fc.dictionary(fc.constantFrom('metadata', 'spec', 'status', 'data', 'x'), jsonValue, { maxKeys: 3 }),
        method: fc.constantFrom('POST' as const, 'PUT' as const),
      })
      .map(({ apiVersion, kind, rest, method }) => ({ doc: { apiVersion, kind, ...rest }, method }));
    const garbage = fc.record({ doc: jsonValue, method: fc.constant('POST' as const) });
    return fc.oneof(
      { weight: 6, arbitrary: mutated },
      { weight: 2, arbitrary: random },
      { weight: 1, arbitrary: garbage },
    );
  },
  async check(ctx, c) {
    const { hub } = ctx;
    const { type, path } = collectionOf(c.doc);
    const body = c.text ?? JSON.stringify(c.doc);
    let res;
    if (c.method === 'PUT') {
      // Update an object that exists (the seed's own name when it has one), so updates are exercised too.
      const meta = (c.doc as { metadata?: { name?: unknown } } | null)?.metadata;
      const name =
        typeof meta?.name === 'string' && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(meta.name) && meta.name.length <= 63
          ? meta.name
          : 'fuzz-target';
      const seed = (ctx.seeds.find((s) => collectionOf(s).type === type) ?? EXTRA_SEEDS[0]) as { [k: string]: Json };
      const created = await hub.request('POST', path, { ...seed, metadata: { name } });
      if (created.status >= 500) expectSuccessOrStatus(`POST ${path} (seed for PUT)`, created);
      res = await hub.request('PUT', `${path}/${name}`, body);
      expectSuccessOrStatus(`PUT ${path}/${name}`, res);
      await hub.request('DELETE', `${path}/${name}`, '{"gracePeriodSeconds":0}');
    } else {
      res = await hub.request('POST', path, body);
      expectSuccessOrStatus(`POST ${path}`, res);
      if (res.status === 201) {
        const name = (res.json as { metadata?: { name?: string } }).metadata?.name;
        if (typeof name !== 'string') throw new Error(`POST ${path}: 201 without metadata.name`);
        const del = await hub.request('DELETE', `${path}/${name}`, '{"gracePeriodSeconds":0}');
        expectSuccessOrStatus(`DELETE ${path}/${name}`, del);
      }
    }
    expectNoPollution(`${c.method} ${type.kind}`);
    ctx.cases++;
    if (ctx.cases % 500 === 0) {
      const health = await hub.app.request('/healthz');
      if (health.status !== 200) throw new Error(`hub unhealthy after ${ctx.cases} cases: ${health.status}`);
    }
    if (ctx.cases % 2000 === 0) {
      const heap = process.memoryUsage().heapUsed;
      ctx.heapBaseline ??= heap;
      if (heap > ctx.heapBaseline + 256 * 1024 * 1024)
        throw new Error(
          `heap grew from ${Math.round(ctx.heapBaseline / 2 ** 20)} MiB to ${Math.round(heap / 2 ** 20)} MiB over ${ctx.cases} cases`,
        );
    }
  },
  pids: () => ({ hub: process.pid }),
  async teardown(ctx) {
    await ctx.hub.close();
  },
};

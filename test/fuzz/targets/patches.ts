/**
 * Fuzz target `patches`: random JSON patches (RFC 6902), merge patches and strategic merge patches
 * against stored objects (a Deployment, a Pod, a Service, a Job) through the real API, on the
 * object and its status and scale subresources. Operations use the object's own paths as well as
 * made-up ones, hostile pointer tokens (`__proto__`, `constructor`, `prototype`, `-`, bad indices)
 * and bodies whose text carries an own `__proto__` key.
 *
 * Properties: every answer is a 2xx or a Kubernetes Status 4xx saying what is wrong, never 5xx;
 * Object.prototype is never touched; after a success the stored object still validates against its
 * schema (it is then put back, so cases stay independent).
 */
import fc from 'fast-check';
import { typeByKind, validateObject, type KubeObject, type ResourceType } from '../../../src/api/index.js';
import { expectNoPollution, expectSuccessOrStatus, startApi, type ApiUnderTest } from '../api-under-test.js';
import type { FuzzTarget } from '../target.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Stored {
  type: ResourceType;
  path: string;
  original: Json;
  /** Every JSON pointer in the original, for operations that hit real fields. */
  pointers: string[];
}

interface Ctx {
  hub: ApiUnderTest;
  objects: Stored[];
}

interface Case {
  object: number;
  sub: '' | '/status' | '/scale';
  contentType: string;
  /** The body as text (so an own `__proto__` key can be in it). */
  body: string;
}

const SEEDS: Json[] = [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'fz-deploy', labels: { app: 'fz' }, annotations: { a: 'b' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'fz' } },
      template: {
        metadata: { labels: { app: 'fz' } },
        spec: {
          containers: [
            {
              name: 'main',
              image: 'hello.wasm',
              env: [{ name: 'A', value: '1' }],
              ports: [{ containerPort: 8080 }],
              resources: { limits: { cpu: '500m', memory: '64Mi' } },
              readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 2 },
            },
          ],
        },
      },
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'fz-pod', labels: { app: 'fz' } },
    spec: {
      containers: [{ name: 'main', image: 'hello.wasm', args: ['x', 'y'] }],
      tolerations: [{ key: 'k', operator: 'Exists' }],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'fz-svc' },
    spec: { selector: { app: 'fz' }, ports: [{ port: 80, targetPort: 8080 }] },
  },
  {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'fz-job' },
    spec: {
      backoffLimit: 2,
      activeDeadlineSeconds: 60,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'job.wasm' }] } },
    },
  },
];

function pointersOf(doc: Json, prefix = ''): string[] {
  const out: string[] = [];
  if (Array.isArray(doc)) doc.forEach((v, i) => out.push(`${prefix}/${i}`, ...pointersOf(v, `${prefix}/${i}`)));
  else if (doc !== null && typeof doc === 'object')
    for (const [k, v] of Object.entries(doc)) {
      const p = `${prefix}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      out.push(p, ...pointersOf(v, p));
    }
  return out;
}

const HOSTILE_TOKENS = [
  '__proto__',
  'constructor',
  'prototype',
  '-',
  '01',
  '-1',
  '999999999999',
  '',
  '~',
  '~2',
  'toString',
  'hasOwnProperty',
  'valueOf',
];

const leaf: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 12 }),
  fc.constantFrom<Json>('500m', '1e400', 'NaN', 'hello.wasm', 'fz', 'Always', 80, 8080, 2 ** 53, 1e308, -1),
);
const value: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: leaf },
  { weight: 1, arbitrary: fc.array(leaf, { maxLength: 3 }) },
  {
    weight: 1,
    arbitrary: fc.dictionary(
      fc.oneof(
        fc.string({ maxLength: 6 }),
        fc.constantFrom('name', 'image', 'constructor', 'prototype', 'labels', 'a'),
      ),
      leaf,
      { maxKeys: 3 },
    ),
  },
);

/** A pointer: one of the object's own, a made-up one, or one with a hostile token spliced in. */
function pointer(pointers: string[]): fc.Arbitrary<string> {
  const own = fc.constantFrom(...pointers);
  return fc.oneof(
    { weight: 5, arbitrary: own },
    { weight: 1, arbitrary: fc.constant('') },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom(...HOSTILE_TOKENS)), {
          minLength: 1,
          maxLength: 4,
        })
        .map((ts) => `/${ts.join('/')}`),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(own, fc.constantFrom(...HOSTILE_TOKENS), fc.boolean())
        .map(([p, t, append]) => (append ? `${p}/${t}` : `/${t}${p}`)),
    },
  );
}

function jsonPatch(pointers: string[]): fc.Arbitrary<string> {
  const op = fc.record({
    op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus'),
    path: pointer(pointers),
    from: fc.option(pointer(pointers), { nil: undefined }),
    value: fc.option(value, { nil: undefined }),
  });
  return fc
    .array(op, { minLength: 0, maxLength: 6 })
    .map((ops) =>
      JSON.stringify(ops.map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)))),
    );
}

/** A merge patch built along the object's own paths, with nulls (removals), new keys and prototype keys. */
function mergePatch(original: Json): fc.Arbitrary<string> {
  return fc
    .array(
      fc.record({
        at: fc.nat(),
        key: fc.oneof(
          { weight: 3, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'extra', 'status', 'x') },
        ),
        value: fc.oneof(value, fc.constant(null)),
      }),
      { minLength: 1, maxLength: 4 },
    )
    .map((edits) => {
      const paths = pointersOf(original).filter((p) => !/\/[0-9]+(\/|$)/.test(p));
      let patch: Record<string, Json> = {};
      const protoMarkers: string[] = [];
      for (const e of edits) {
        const tokens = (paths[e.at % Math.max(1, paths.length)] ?? '/metadata').slice(1).split('/');
        let cur = patch;
        for (const t of tokens.slice(0, -1)) {
          const next = cur[t];
          cur = next !== null && typeof next === 'object' && !Array.isArray(next) ? next : ((cur[t] = {}), cur[t]);
        }
        const last = tokens.at(-1)!;
        if (e.key === '__proto__') {
          // An own "__proto__" key exists only in the text: mark it, replace after stringify.
          const marker = `__fz_proto_${protoMarkers.length}__`;
          protoMarkers.push(marker);
          cur[marker] = { polluted: 'yes', [last]: structuredClone(e.value) };
        } else if (e.key !== undefined) cur[e.key] = { [last]: structuredClone(e.value) };
        // Cloned: a later edit may descend into this value, which fast-check may share between cases.
        else cur[last] = structuredClone(e.value);
      }
      if (Object.keys(patch).length === 0) patch = { metadata: { labels: { fz: 'x' } } };
      let text = JSON.stringify(patch);
      for (const m of protoMarkers) text = text.replaceAll(`"${m}"`, '"__proto__"');
      return text;
    });
}

export const target: FuzzTarget<Ctx, Case> = {
  name: 'patches',
  async setup() {
    const hub = await startApi('fuzz-patches-');
    const objects: Stored[] = [];
    for (const seed of SEEDS) {
      const o = seed as { apiVersion: string; kind: string };
      const type = typeByKind(o.apiVersion, o.kind)!;
      const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
      const collection = `${base}/namespaces/default/${type.plural}`;
      const res = await hub.request('POST', collection, seed);
      if (res.status !== 201)
        throw new Error(`seeding ${o.kind}: ${res.status} ${JSON.stringify(res.json).slice(0, 300)}`);
      const name = (res.json as KubeObject).metadata.name!;
      objects.push({ type, path: `${collection}/${name}`, original: seed, pointers: pointersOf(res.json as Json) });
    }
    return { hub, objects };
  },
  arbitrary(ctx) {
    return fc
      .record({
        object: fc.nat({ max: ctx.objects.length - 1 }),
        sub: fc.constantFrom('' as const, '' as const, '/status' as const, '/scale' as const),
        kind: fc.constantFrom('json', 'merge', 'strategic'),
      })
      .chain(({ object, sub, kind }) => {
        const o = ctx.objects[object]!;
        const body = kind === 'json' ? jsonPatch(o.pointers) : mergePatch(o.original);
        const contentType = {
          json: 'application/json-patch+json',
          merge: 'application/merge-patch+json',
          strategic: 'application/strategic-merge-patch+json',
        }[kind];
        // Only scalable kinds have /scale (elsewhere it is a plain 404, which teaches nothing).
        const at = sub === '/scale' && !o.type.hasScale ? '' : sub;
        return body.map((text) => ({ object, sub: at, contentType, body: text }));
      });
  },
  async check(ctx, c) {
    const o = ctx.objects[c.object]!;
    const what = `PATCH ${o.path}${c.sub} (${c.contentType})`;
    const res = await ctx.hub.request('PATCH', `${o.path}${c.sub}`, c.body, c.contentType);
    expectSuccessOrStatus(what, res);
    expectNoPollution(what);
    if (res.status < 300) {
      const stored = await ctx.hub.request('GET', o.path);
      if (stored.status !== 200)
        throw new Error(`${what}: object unreadable after a successful patch (${stored.status})`);
      try {
        validateObject(o.type, stored.json);
      } catch (err) {
        throw new Error(`${what}: stored object no longer valid: ${(err as Error).message.slice(0, 300)}`, {
          cause: err,
        });
      }
      // Put the original back so the next case starts from it.
      const meta = (stored.json as KubeObject).metadata;
      const restore = await ctx.hub.request('PUT', o.path, {
        ...(o.original as Record<string, Json>),
        metadata: {
          ...(o.original as { metadata: Record<string, Json> }).metadata,
          resourceVersion: meta.resourceVersion ?? '',
        },
      });
      if (restore.status !== 200)
        throw new Error(
          `${what}: restoring the original failed: ${restore.status} ${JSON.stringify(restore.json).slice(0, 300)}`,
        );
    }
  },
  pids: () => ({ hub: process.pid }),
  async teardown(ctx) {
    await ctx.hub.close();
  },
};

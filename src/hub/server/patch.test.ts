import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BadRequestError, RequestTooLargeError, type Deployment } from '../../api/index.js';
import { MAX_JSON_DEPTH, checkJsonTree } from './body.js';
import { MAX_JSON_PATCH_OPS, applyPatch } from './patch.js';
import { createHarness, readJson, readStatus, type Harness } from './testdata/harness.js';

const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';
const MERGE = { contentType: 'application/merge-patch+json' };
const STRATEGIC = { contentType: 'application/strategic-merge-patch+json' };
const JSONPATCH = { contentType: 'application/json-patch+json' };
const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'hello.wasm' }] } },
  },
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

const protoKeys = () => Object.getOwnPropertyNames(Object.prototype).sort();
const untouched = protoKeys();
function expectNoPollution(): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(({} as Record<string, unknown>).replicas).toBeUndefined();
  expect(protoKeys()).toEqual(untouched);
  expect(Object.getPrototypeOf({})).toBe(Object.prototype);
}

describe('applyPatch refuses prototype keys, whatever the patch type', () => {
  const target = () => ({ metadata: { name: 'x', labels: { a: 'b' } }, spec: { list: [1, 2] } });
  const hostileJson = [
    [{ op: 'add', path: '/__proto__/polluted', value: 1 }],
    [{ op: 'add', path: '/metadata/constructor/prototype/polluted', value: 1 }],
    [{ op: 'replace', path: '/spec/list/constructor', value: 1 }],
    [{ op: 'copy', from: '/metadata', path: '/__proto__' }],
    [{ op: 'move', from: '/__proto__', path: '/x' }],
    [{ op: 'test', path: '/prototype', value: 1 }],
    [{ op: 'add', path: '/metadata/labels/x', value: JSON.parse('{"__proto__": {"polluted": 1}}') as unknown }],
    [{ op: 'add', path: '/spec/x', value: { nested: [{ constructor: { prototype: { polluted: 1 } } }] } }],
  ];
  it.each(hostileJson.map((p, i) => [i, p] as const))('JSON patch %i', (_i, ops) => {
    const err = thrown(() => applyPatch('json', target(), ops));
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).causes[0]?.field).toMatch(/__proto__|constructor|prototype/);
    expectNoPollution();
  });

  const hostileMerge = [
    JSON.parse('{"__proto__": {"polluted": 1}}') as unknown,
    JSON.parse('{"metadata": {"labels": {"__proto__": {"polluted": 1}}}}') as unknown,
    { constructor: { prototype: { polluted: 1 } } },
    { spec: { template: { spec: { containers: [{ prototype: 1 }] } } } },
  ];
  it.each(hostileMerge.map((p, i) => [i, p] as const))('merge and strategic merge patch %i', (_i, patch) => {
    for (const kind of ['merge'] as const) {
      const err = thrown(() => applyPatch(kind, target(), patch));
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).causes[0]?.field).toMatch(/__proto__|constructor|prototype/);
    }
    expectNoPollution();
  });

  it('still applies ordinary patches without mutating the input', () => {
    const t = target();
    expect(applyPatch('merge', t, { metadata: { labels: { a: null, c: 'd' } } })).toEqual({
      metadata: { name: 'x', labels: { c: 'd' } },
      spec: { list: [1, 2] },
    });
    expect(
      applyPatch('json', t, [
        { op: 'add', path: '/spec/list/-', value: 3 },
        { op: 'move', from: '/spec/list/0', path: '/spec/first' },
        { op: 'copy', from: '/metadata/name', path: '/metadata/labels/name' },
        { op: 'test', path: '/spec/first', value: 1 },
        { op: 'remove', path: '/metadata/labels/a' },
      ]),
    ).toEqual({ metadata: { name: 'x', labels: { name: 'x' } }, spec: { list: [2, 3], first: 1 } });
    expect(t).toEqual(target());
    // Inherited names are not there to read or replace.
    expect(
      thrown(() => applyPatch('json', t, [{ op: 'replace', path: '/metadata/toString', value: 1 }])),
    ).toBeInstanceOf(BadRequestError);
    expect(thrown(() => applyPatch('json', t, [{ op: 'add', path: '/spec/list/01', value: 1 }]))).toBeInstanceOf(
      BadRequestError,
    );
  });

  it('says which operation failed without echoing the document', () => {
    const secret = { metadata: { name: 'x' }, data: { token: 's3cr3t' }, spec: { list: [1] } };
    const err = thrown(() => applyPatch('json', secret, [{ op: 'add', path: '/spec/list/5', value: 2 }]));
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).not.toContain('s3cr3t');
    const failed = thrown(() => applyPatch('json', secret, [{ op: 'test', path: '/data/token', value: 'guess' }]));
    expect((failed as Error).message).toBe('JSON patch test failed at "/data/token"');
    // RFC 6902 compares values structurally: key order does not matter.
    expect(applyPatch('json', { a: { x: 1, y: 2 } }, [{ op: 'test', path: '/a', value: { y: 2, x: 1 } }])).toEqual({
      a: { x: 1, y: 2 },
    });
  });

  it('bounds JSON patch work: operation count and copy amplification', () => {
    const many = Array.from({ length: MAX_JSON_PATCH_OPS + 1 }, () => ({
      op: 'test',
      path: '/metadata/name',
      value: 'x',
    }));
    expect(thrown(() => applyPatch('json', target(), many))).toBeInstanceOf(RequestTooLargeError);
    // Each copy of the root doubles the document: 40 of them would need terabytes.
    const bomb = [
      { op: 'add', path: '/spec/blob', value: 'x'.repeat(100_000) },
      ...Array.from({ length: 40 }, (_, i) => ({ op: 'copy', from: '', path: `/c${i}` })),
    ];
    const err = thrown(() => applyPatch('json', target(), bomb, { maxWorkBytes: 4 * 1024 * 1024 }));
    expect(err).toBeInstanceOf(RequestTooLargeError);
    expect((err as Error).message).toMatch(/touch too much data/);
  });
});

describe('request bodies', () => {
  it('refuses a __proto__ key anywhere and nesting past the limit, naming the path', () => {
    const err = thrown(() => checkJsonTree(JSON.parse('{"spec": {"a": [{"__proto__": {}}]}}')));
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).causes[0]?.field).toBe('spec.a[0].__proto__');
    const deep = JSON.parse(`${'['.repeat(10_000)}${']'.repeat(10_000)}`) as unknown;
    const deepErr = thrown(() => checkJsonTree(deep));
    expect(deepErr).toBeInstanceOf(BadRequestError);
    expect((deepErr as Error).message).toMatch(`deeper than ${MAX_JSON_DEPTH} levels`);
    expect(thrown(() => checkJsonTree({ a: { constructor: 'ok as data', prototype: 'too' } }))).toBeUndefined();
  });
});

describe('hostile patches through the API', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
    expect((await h.req('POST', DEPLOYS, deployment())).status).toBe(201);
  });
  afterEach(() => h.close());

  it('answers 400 naming the path, leaves the stored object and Object.prototype untouched', async () => {
    const before = await readJson<Deployment>(await h.req('GET', `${DEPLOYS}/web`));
    const cases: [unknown, { contentType: string }][] = [
      ['{"__proto__": {"polluted": "yes"}}', MERGE],
      ['{"metadata": {"__proto__": {"polluted": "yes"}}}', STRATEGIC],
      [{ constructor: { prototype: { polluted: 'yes' } } }, MERGE],
      [{ spec: { template: { prototype: { polluted: 'yes' } } } }, STRATEGIC],
      [[{ op: 'add', path: '/__proto__/polluted', value: 'yes' }], JSONPATCH],
      [[{ op: 'add', path: '/metadata/constructor/prototype/polluted', value: 'yes' }], JSONPATCH],
      [[{ op: 'copy', from: '/spec', path: '/__proto__' }], JSONPATCH],
      ['[{"op": "add", "path": "/spec/replicas", "value": {"__proto__": {"polluted": "yes"}}}]', JSONPATCH],
    ];
    for (const [patch, opts] of cases) {
      const res = await h.req('PATCH', `${DEPLOYS}/web`, patch, opts);
      const status = await readStatus(res);
      expect(res.status, JSON.stringify(patch)).toBe(400);
      expect(status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
      expect(status.details?.causes?.[0]?.field).toMatch(/__proto__|constructor|prototype/);
      expectNoPollution();
    }
    // Scale and status subresources go through the same door.
    expect((await h.req('PATCH', `${DEPLOYS}/web/scale`, '{"__proto__": {"polluted": 1}}', MERGE)).status).toBe(400);
    expect(
      (await h.req('PATCH', `${DEPLOYS}/web/status`, [{ op: 'add', path: '/status/constructor', value: 1 }], JSONPATCH))
        .status,
    ).toBe(400);
    expect(
      (
        await h.req(
          'POST',
          DEPLOYS,
          `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x","__proto__":{"polluted":1}}}`,
        )
      ).status,
    ).toBe(400);
    expectNoPollution();
    expect(await readJson<Deployment>(await h.req('GET', `${DEPLOYS}/web`))).toEqual(before);
    expect((await h.req('GET', '/healthz', undefined, { token: null })).status).toBe(200);
  });

  it('refuses a copy bomb and an over-deep body with a Status, not a crash', async () => {
    const bomb = Array.from({ length: 40 }, (_, i) => ({
      op: 'copy',
      from: '/spec',
      path: `/metadata/annotations/c${i}`,
    }));
    const bombed = await h.req(
      'PATCH',
      `${DEPLOYS}/web`,
      [
        { op: 'add', path: '/metadata/annotations', value: {} },
        { op: 'add', path: '/spec/template/metadata/annotations', value: { big: 'x'.repeat(200_000) } },
        ...bomb,
      ],
      JSONPATCH,
    );
    expect([400, 413, 422]).toContain(bombed.status);
    expect((await readStatus(bombed)).kind).toBe('Status');
    const deep = await h.req('PATCH', `${DEPLOYS}/web`, `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`, MERGE);
    expect(deep.status).toBe(400);
    expect((await readStatus(deep)).message).toMatch(/nests deeper than 100 levels/);
  });
});

describe('JSON nesting is refused before parsing', () => {
  it('counts brackets outside strings only, and refuses a maximum-size deep body quickly', async () => {
    const { checkJsonNesting } = await import('./body.js');
    expect(thrown(() => checkJsonNesting(`{"a": "${'['.repeat(10_000)}", "b": "\\"{{{{"}`))).toBeUndefined();
    expect(thrown(() => checkJsonNesting(`${'['.repeat(100)}${']'.repeat(100)}`))).toBeUndefined();
    const started = performance.now();
    const err = thrown(() => checkJsonNesting('['.repeat(3 * 1024 * 1024)));
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toMatch(/deeper than 100 levels \(at character 100\)/);
    // Generous functional bound: JSON.parse of this body took seconds.
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('the scale subresource', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
    expect((await h.req('POST', DEPLOYS, deployment())).status).toBe(201);
  });
  afterEach(() => h.close());

  it('answers a patch that replaces the whole Scale with a non-object with a 400 Status (found by the patches fuzzer: was a 500)', async () => {
    for (const value of [null, 3, 'x', [1]]) {
      const res = await h.req('PATCH', `${DEPLOYS}/web/scale`, [{ op: 'replace', path: '', value }], JSONPATCH);
      expect(res.status, JSON.stringify(value)).toBe(400);
      expect((await readStatus(res)).kind).toBe('Status');
    }
    const badMeta = await h.req(
      'PATCH',
      `${DEPLOYS}/web/scale`,
      [{ op: 'replace', path: '/metadata', value: 'x' }],
      JSONPATCH,
    );
    expect(badMeta.status).toBe(422);
    expect((await h.req('PATCH', `${DEPLOYS}/web/scale`, { spec: { replicas: 5 } }, MERGE)).status).toBe(200);
  });
});

describe('identity fields of any JSON type', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
    expect((await h.req('POST', DEPLOYS, deployment())).status).toBe(201);
  });
  afterEach(() => h.close());

  it('answers 400 for an apiVersion, kind, namespace or name that is an object, even one whose toString is not a function (found by the manifests fuzzer: was a 500)', async () => {
    const hostile = { toString: 1, valueOf: 2 };
    const d = deployment();
    for (const body of [
      { ...d, kind: hostile },
      { ...d, apiVersion: hostile },
      { ...d, metadata: { ...d.metadata, name: hostile } },
      { ...d, metadata: { ...d.metadata, namespace: hostile } },
    ]) {
      for (const [method, path] of [
        ['PUT', `${DEPLOYS}/web`],
        ['POST', DEPLOYS],
      ] as const) {
        const res = await h.req(method, path, body);
        expect([400, 422], `${method} ${JSON.stringify(body).slice(0, 80)}`).toContain(res.status);
        expect((await readStatus(res)).kind).toBe('Status');
      }
    }
    expect((await h.req('PATCH', `${DEPLOYS}/web`, { kind: hostile }, MERGE)).status).toBe(400);
  });
});

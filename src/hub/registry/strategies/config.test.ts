import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidError, typeByKind, type ConfigMap, type ResourceType, type Secret } from '../../../api/index.js';
import { silentLogger } from '../../../platform/index.js';
import { SqliteStore } from '../../store/index.js';
import { ObjectRegistry } from '../object-registry.js';

const T = (kind: string): ResourceType => {
  const t = typeByKind('v1', kind);
  if (!t) throw new Error(kind);
  return t;
};
const SECRET = T('Secret');
const CM = T('ConfigMap');
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const secret = (name: string, rest: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'default' },
  ...rest,
});

let dir: string;
let store: SqliteStore;
let reg: ObjectRegistry;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'config-strategy-'));
  store = await SqliteStore.create({ path: join(dir, 'hub.db'), logger: silentLogger() });
  reg = new ObjectRegistry({ store, clock: { now: () => 0 }, logger: silentLogger() });
  await reg.ensureNamespace('default');
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function invalid(p: Promise<unknown>): Promise<InvalidError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidError);
  return err as InvalidError;
}
const fields = (e: InvalidError): string[] => e.causes.map((c) => `${c.field}: ${c.message}`);

describe('Secret strategy', () => {
  it('merges stringData into data, defaults the type to Opaque, and never stores stringData', async () => {
    const s = await reg.create<Secret>(
      SECRET,
      secret('s', { data: { a: b64('old'), b: b64('kept') }, stringData: { a: 'new', c: 'plain' } }),
    );
    expect(s.type).toBe('Opaque');
    expect(s.stringData).toBeUndefined();
    expect(s.data).toEqual({ a: b64('new'), b: b64('kept'), c: b64('plain') });
    const raw = await store.get('/registry/secrets/default/s');
    expect(JSON.stringify(raw?.value)).not.toContain('plain');
    const u = await reg.update<Secret>(SECRET, { ...s, stringData: { d: 'x' } });
    expect(u.data?.d).toBe(b64('x'));
    expect(u.stringData).toBeUndefined();
  });

  it('validates each type as Kubernetes does, without quoting a value', async () => {
    const noKey = await invalid(reg.create(SECRET, secret('d', { type: 'kubernetes.io/dockerconfigjson', data: {} })));
    expect(fields(noKey)).toEqual(['data[.dockerconfigjson]: Required value']);
    const notJson = await invalid(
      reg.create(
        SECRET,
        secret('d', { type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': 'hunter2{' } }),
      ),
    );
    expect(notJson.message).toContain('<secret contents redacted>');
    expect(notJson.message).not.toContain('hunter2');
    const noAuths = await invalid(
      reg.create(
        SECRET,
        secret('d', { type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': '{}' } }),
      ),
    );
    expect(fields(noAuths)[0]).toMatch(/must be a docker config JSON object with "auths"/);
    await reg.create(
      SECRET,
      secret('d', { type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': '{"auths":{}}' } }),
    );
    const tls = await invalid(
      reg.create(SECRET, secret('t', { type: 'kubernetes.io/tls', stringData: { 'tls.crt': 'c' } })),
    );
    expect(fields(tls)).toEqual(['data[tls.key]: Required value']);
    const basic = await invalid(reg.create(SECRET, secret('b', { type: 'kubernetes.io/basic-auth', data: {} })));
    expect(fields(basic)).toEqual(['data[username]: Required value', 'data[password]: Required value']);
    await reg.create(SECRET, secret('b', { type: 'kubernetes.io/basic-auth', stringData: { password: 'p' } }));
  });

  it('keeps the type and refuses data changes of an immutable Secret', async () => {
    const s = await reg.create<Secret>(SECRET, secret('s', { stringData: { a: '1' }, immutable: true }));
    const typeChange = await invalid(
      reg.update(SECRET, { ...s, type: 'kubernetes.io/basic-auth', data: { ...s.data, username: b64('u') } }),
    );
    expect(fields(typeChange)).toContain('type: Invalid value: "kubernetes.io/basic-auth": field is immutable');
    const dataChange = await invalid(reg.update(SECRET, { ...s, data: { a: b64('2') } }));
    expect(fields(dataChange)).toEqual(['data: field is immutable when `immutable` is set']);
    const unset = await invalid(reg.update(SECRET, { ...s, immutable: false }));
    expect(fields(unset)).toEqual(['immutable: field is immutable when `immutable` is set']);
    // Metadata may still change.
    const labelled = await reg.update<Secret>(SECRET, { ...s, metadata: { ...s.metadata, labels: { x: 'y' } } });
    expect(labelled.metadata.labels).toEqual({ x: 'y' });
  });
});

describe('ConfigMap strategy', () => {
  it('refuses data and binaryData changes of an immutable ConfigMap, allows them otherwise', async () => {
    const cm = await reg.create<ConfigMap>(CM, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'default' },
      data: { k: 'v' },
    });
    const changed = await reg.update<ConfigMap>(CM, { ...cm, data: { k: 'w' }, immutable: true });
    expect(changed.data).toEqual({ k: 'w' });
    const err = await invalid(reg.update(CM, { ...changed, data: { k: 'x' }, binaryData: { b: b64('1') } }));
    expect(fields(err)).toEqual([
      'data: field is immutable when `immutable` is set',
      'binaryData: field is immutable when `immutable` is set',
    ]);
  });
});

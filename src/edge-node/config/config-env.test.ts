import { describe, expect, it } from 'vitest';
import type { ConfigObject, Container } from '../../api/index.js';
import { resolveConfigRefs } from './config-env.js';
import type { ConfigLookup } from './config-store.js';

const enc = (s: string) => new TextEncoder().encode(s);
const objects: ConfigObject[] = [
  {
    kind: 'ConfigMap',
    namespace: 'shop',
    name: 'settings',
    uid: 'u1',
    resourceVersion: '1',
    data: { GREETING: enc('hello'), 'bad name': enc('x'), LEVEL: enc('info') },
  },
  {
    kind: 'Secret',
    namespace: 'shop',
    name: 'creds',
    uid: 'u2',
    resourceVersion: '1',
    data: { API_KEY: enc('k-123') },
  },
];
const lookup: ConfigLookup = {
  get: (kind, ns, name) => objects.find((o) => o.kind === kind && o.namespace === ns && o.name === name),
};
const container = (c: Partial<Container>): Container => ({ name: 'main', image: 'x', ...c });

describe('resolveConfigRefs', () => {
  it('resolves envFrom with prefix (invalid names skipped with a warning, kept for wasi:config) and key refs', () => {
    const r = resolveConfigRefs(
      'shop',
      container({
        envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'APP_' }, { secretRef: { name: 'creds' } }],
        env: [
          { name: 'K', valueFrom: { secretKeyRef: { name: 'creds', key: 'API_KEY' } } },
          { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'nope', key: 'x', optional: true } } },
        ],
      }),
      lookup,
    );
    if ('missing' in r) throw new Error(r.missing);
    expect(r.envFrom).toEqual({ APP_GREETING: 'hello', APP_LEVEL: 'info', API_KEY: 'k-123' });
    expect(r.config).toEqual({ APP_GREETING: 'hello', APP_LEVEL: 'info', 'APP_bad name': 'x', API_KEY: 'k-123' });
    expect(r.warnings).toEqual([
      'Keys [APP_bad name] from the EnvFrom configmap shop/settings were skipped since they are considered invalid environment variable names.',
    ]);
    expect(r.keyRef('Secret', { name: 'creds', key: 'API_KEY' })).toBe('k-123');
    expect(r.keyRef('ConfigMap', { name: 'nope', key: 'x', optional: true })).toBeUndefined();
  });

  it('names what is missing as the kubelet does, and lets optional references go', () => {
    const miss = (c: Partial<Container>) => {
      const r = resolveConfigRefs('shop', container(c), lookup);
      return 'missing' in r ? r.missing : undefined;
    };
    expect(miss({ envFrom: [{ configMapRef: { name: 'other' } }] })).toBe('configmap "other" not found');
    expect(miss({ envFrom: [{ secretRef: { name: 'other', optional: true } }] })).toBeUndefined();
    expect(miss({ env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'gone', key: 'k' } } }] })).toBe(
      'secret "gone" not found',
    );
    expect(miss({ env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'creds', key: 'nokey' } } }] })).toBe(
      "couldn't find key nokey in Secret shop/creds",
    );
    expect(
      miss({ env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'creds', key: 'nokey', optional: true } } }] }),
    ).toBeUndefined();
  });
});

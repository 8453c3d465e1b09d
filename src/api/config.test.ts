import { describe, expect, it } from 'vitest';
import { InvalidError } from './errors.js';
import { typeByKind } from './registry.js';
import { validateObject } from './validate.js';

function must<T>(t: T | undefined): T {
  if (!t) throw new Error('kind not registered');
  return t;
}

function invalid(kind: string, raw: unknown): string[] {
  const t = must(typeByKind('v1', kind));
  try {
    validateObject(t, raw);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidError);
    return ((err as InvalidError).causes ?? []).map((c) => `${c.field}: ${c.message}`);
  }
  throw new Error('expected the object to be refused');
}

const meta = { name: 'app', namespace: 'default' };
const pod = (spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: meta, spec });
const container = { name: 'c', image: 'hello.wasm' };

describe('ConfigMap and Secret shapes', () => {
  it('accepts data, binaryData and typed secrets', () => {
    const cm = validateObject(must(typeByKind('v1', 'ConfigMap')), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta,
      data: { 'greeting.txt': 'hi' },
      binaryData: { blob: Buffer.from([0, 1, 2]).toString('base64') },
    });
    expect(cm).toMatchObject({ data: { 'greeting.txt': 'hi' } });
    const s = validateObject(must(typeByKind('v1', 'Secret')), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta,
      type: 'kubernetes.io/basic-auth',
      stringData: { username: 'u' },
    });
    expect(s).toMatchObject({ type: 'kubernetes.io/basic-auth' });
  });

  it('names bad keys, non-base64 values, duplicate keys and objects over 1 MiB', () => {
    expect(invalid('ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data: { '..x': 'v' } })).toEqual(
      [expect.stringMatching(/^data\.\.\.x: .*'\.\.'/)],
    );
    expect(
      invalid('ConfigMap', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: meta,
        data: { k: 'a' },
        binaryData: { k: 'YQ==' },
      }),
    ).toEqual([expect.stringContaining('binaryData.k: duplicate of key "k" in data')]);
    expect(invalid('Secret', { apiVersion: 'v1', kind: 'Secret', metadata: meta, data: { k: 'not base64!' } })).toEqual(
      [expect.stringContaining('must be base64-encoded')],
    );
    const big = 'x'.repeat(1024 * 1024);
    expect(invalid('ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data: { k: big } })).toEqual([
      expect.stringContaining('must have at most 1048576 bytes'),
    ]);
    expect(invalid('Secret', { apiVersion: 'v1', kind: 'Secret', metadata: meta, type: 'kubernetes.io/ssh' })).toEqual([
      expect.stringMatching(/^type: /),
    ]);
  });
});

describe('pod volumes and config references', () => {
  it('accepts every supported volume source, mount and reference', () => {
    const t = must(typeByKind('v1', 'Pod'));
    expect(() =>
      validateObject(
        t,
        pod({
          imagePullSecrets: [{ name: 'regcred' }],
          volumes: [
            { name: 'cfg', configMap: { name: 'app', items: [{ key: 'a', path: 'dir/a.txt', mode: 0o400 }] } },
            { name: 'sec', secret: { secretName: 'app', defaultMode: 0o440, optional: true } },
            { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
          ],
          containers: [
            {
              ...container,
              env: [
                { name: 'A', valueFrom: { configMapKeyRef: { name: 'app', key: 'a' } } },
                { name: 'B', valueFrom: { secretKeyRef: { name: 'app', key: 'b', optional: true } } },
              ],
              envFrom: [{ configMapRef: { name: 'app' } }, { prefix: 'S_', secretRef: { name: 'app' } }],
              volumeMounts: [
                { name: 'cfg', mountPath: '/etc/app', readOnly: true },
                { name: 'sec', mountPath: '/etc/secret/key', subPath: 'key' },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
        }),
      ),
    ).not.toThrow();
  });

  it('names what is wrong, field by field', () => {
    const causes = invalid(
      'Pod',
      pod({
        volumes: [
          { name: 'v', emptyDir: {} },
          { name: 'v', configMap: { name: 'x' }, secret: { secretName: 'y' } },
          { name: 'w' },
        ],
        containers: [
          {
            ...container,
            env: [
              {
                name: 'A',
                valueFrom: { configMapKeyRef: { name: 'x', key: 'a' }, secretKeyRef: { name: 'x', key: 'a' } },
              },
            ],
            envFrom: [{ configMapRef: { name: 'x' }, secretRef: { name: 'y' } }],
            volumeMounts: [
              { name: 'v', mountPath: 'relative' },
              { name: 'missing', mountPath: '/a' },
              { name: 'v', mountPath: '/a', subPath: '../etc' },
            ],
          },
        ],
      }),
    );
    expect(causes).toEqual(
      expect.arrayContaining([
        'spec.volumes[1]: may not specify more than 1 volume type',
        'spec.volumes[2]: must specify a volume type',
        expect.stringMatching(/^spec\.containers\[0\]\.env\[0\]\.valueFrom: must specify exactly one of/),
        expect.stringMatching(/^spec\.containers\[0\]\.envFrom\[0\]: must specify exactly one of/),
        'spec.containers[0].volumeMounts[0].mountPath: must be an absolute path',
        expect.stringMatching(/^spec\.containers\[0\]\.volumeMounts\[2\]\.subPath: must not contain '\.\.'/),
      ]),
    );
  });

  it('checks names across the spec once each field is valid', () => {
    const causes = invalid(
      'Pod',
      pod({
        volumes: [
          { name: 'v', emptyDir: {} },
          { name: 'v', emptyDir: {} },
        ],
        containers: [
          {
            ...container,
            volumeMounts: [
              { name: 'v', mountPath: '/a' },
              { name: 'missing', mountPath: '/a' },
            ],
          },
        ],
      }),
    );
    expect(causes).toEqual([
      'spec.volumes[1].name: Duplicate value: "v"',
      'spec.containers[0].volumeMounts[1].name: Not found: "missing"',
      'spec.containers[0].volumeMounts[1].mountPath: must be unique',
    ]);
  });
});

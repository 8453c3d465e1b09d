import { describe, expect, it } from 'vitest';
import { patchMetaOf } from '../../../api/index.js';
import { strategicMergePatch } from './strategic-merge.js';

const DEPLOY = patchMetaOf('Deployment');
const POD = patchMetaOf('Pod');

const deployment = (containers: unknown[], extra: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: { replicas: 2, template: { spec: { containers, ...extra } } },
});

describe('strategic merge patch', () => {
  it('merges containers by name (Kubernetes docs: "Use a strategic merge patch to update a Deployment")', () => {
    const live = deployment([{ name: 'patch-demo-ctr', image: 'nginx' }]);
    const out = strategicMergePatch(
      live,
      { spec: { template: { spec: { containers: [{ name: 'patch-demo-ctr-2', image: 'redis' }] } } } },
      DEPLOY,
    );
    expect(out).toMatchObject({
      spec: {
        replicas: 2,
        template: {
          spec: {
            // The docs' output: without $setElementOrder, patch elements come first.
            containers: [
              { name: 'patch-demo-ctr-2', image: 'redis' },
              { name: 'patch-demo-ctr', image: 'nginx' },
            ],
          },
        },
      },
    });
    expect(live.spec.template.spec.containers).toHaveLength(1); // input untouched
  });

  it('replaces a list without a patch strategy (tolerations, as the docs show)', () => {
    const live = deployment([{ name: 'a', image: 'x' }], { tolerations: [{ effect: 'NoSchedule', key: 'disktype' }] });
    const out = strategicMergePatch(
      live,
      { spec: { template: { spec: { tolerations: [{ effect: 'NoSchedule', key: 'disktype', value: 'ssd' }] } } } },
      DEPLOY,
    );
    expect(out).toMatchObject({
      spec: { template: { spec: { tolerations: [{ effect: 'NoSchedule', key: 'disktype', value: 'ssd' }] } } },
    });
  });

  it('merges a matching element recursively: env by name, ports by containerPort, volumeMounts by mountPath', () => {
    const live = deployment([
      {
        name: 'a',
        image: 'x',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        ports: [{ containerPort: 80 }],
        volumeMounts: [{ name: 'v', mountPath: '/d' }],
      },
    ]);
    const out = strategicMergePatch(
      live,
      {
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: 'a',
                  env: [{ name: 'B', value: '3' }],
                  ports: [{ containerPort: 81 }],
                  volumeMounts: [{ name: 'w', mountPath: '/d' }],
                },
              ],
            },
          },
        },
      },
      DEPLOY,
    );
    expect(out.spec).toMatchObject({
      template: {
        spec: {
          containers: [
            {
              name: 'a',
              image: 'x',
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '3' },
              ],
              ports: [{ containerPort: 81 }, { containerPort: 80 }],
              volumeMounts: [{ name: 'w', mountPath: '/d' }],
            },
          ],
        },
      },
    });
  });

  it('null deletes a key; $patch: delete removes a list element by merge key', () => {
    const live = deployment([
      { name: 'a', image: 'x' },
      { name: 'b', image: 'y' },
    ]);
    const out = strategicMergePatch(
      live,
      {
        metadata: { labels: { app: null } },
        spec: { replicas: null, template: { spec: { containers: [{ name: 'a', $patch: 'delete' }] } } },
      },
      DEPLOY,
    );
    expect(out).toMatchObject({
      metadata: { labels: {} },
      spec: { template: { spec: { containers: [{ name: 'b' }] } } },
    });
    expect(out.spec).not.toHaveProperty('replicas');
  });

  it('$patch: replace replaces a map or a whole merging list', () => {
    const live = deployment([
      { name: 'a', image: 'x' },
      { name: 'b', image: 'y' },
    ]);
    const list = strategicMergePatch(
      live,
      { spec: { template: { spec: { containers: [{ name: 'c', image: 'z' }, { $patch: 'replace' }] } } } },
      DEPLOY,
    );
    expect(list).toMatchObject({ spec: { template: { spec: { containers: [{ name: 'c', image: 'z' }] } } } });
    const map = strategicMergePatch(live, { metadata: { labels: { $patch: 'replace', tier: 'fe' } } }, DEPLOY);
    expect((map.metadata as { labels: unknown }).labels).toEqual({ tier: 'fe' });
    const gone = strategicMergePatch(live, { metadata: { labels: { $patch: 'delete' } } }, DEPLOY);
    expect((gone.metadata as { labels: unknown }).labels).toEqual({});
  });

  it('$setElementOrder orders the merged list; server-only elements keep their place', () => {
    const live = deployment([
      { name: 'a', image: '1' },
      { name: 's', image: 'server-only' },
      { name: 'b', image: '2' },
    ]);
    const out = strategicMergePatch(
      live,
      {
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }, { name: 'c' }],
              containers: [{ name: 'c', image: '3' }],
            },
          },
        },
      },
      DEPLOY,
    );
    const names = (out as ReturnType<typeof deployment>).spec.template.spec.containers.map(
      (c) => (c as { name: string }).name,
    );
    // As Kubernetes' mergeSortedSlice: s came before b live, so it stays before it.
    expect(names).toEqual(['s', 'b', 'a', 'c']);
  });

  it('$retainKeys clears live keys not listed (deployment strategy: Recreate → RollingUpdate)', () => {
    const live = { spec: { strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } } };
    const out = strategicMergePatch(live, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, DEPLOY);
    expect(out).toEqual({ spec: { strategy: { type: 'Recreate' } } });
    expect(() =>
      strategicMergePatch(live, { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } }, DEPLOY),
    ).toThrow(/not listed in \$retainKeys/);
  });

  it('$deleteFromPrimitiveList removes values from a set list (finalizers)', () => {
    const live = { metadata: { name: 'p', finalizers: ['a/x', 'b/y', 'c/z'] } };
    const out = strategicMergePatch(
      live,
      {
        metadata: {
          '$setElementOrder/finalizers': ['a/x', 'c/z'],
          '$deleteFromPrimitiveList/finalizers': ['b/y'],
        },
      },
      POD,
    );
    expect(out).toEqual({ metadata: { name: 'p', finalizers: ['a/x', 'c/z'] } });
    const added = strategicMergePatch(live, { metadata: { finalizers: ['d/w', 'a/x'] } }, POD);
    // Kubernetes' order: patch items in patch order, placed before server-only items they do not follow live.
    expect((added.metadata as { finalizers: string[] }).finalizers).toEqual(['d/w', 'a/x', 'b/y', 'c/z']);
  });

  it('service ports merge by port; a value the live object lacks has its directives read too', () => {
    const svc = patchMetaOf('Service');
    const out = strategicMergePatch(
      { spec: { ports: [{ port: 80, targetPort: 8080 }] } },
      {
        spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443 }] },
        metadata: { labels: { $patch: 'replace', a: 'b' } },
      },
      svc,
    );
    expect(out).toEqual({
      spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443 }] },
      metadata: { labels: { a: 'b' } },
    });
  });

  it('refuses malformed directives with a 400 naming them', () => {
    expect(() => strategicMergePatch({}, { $patch: 'explode' }, POD)).toThrow(/unknown patch type/);
    expect(() =>
      strategicMergePatch({ spec: { containers: [{ name: 'a' }] } }, { spec: { containers: [{ image: 'x' }] } }, POD),
    ).toThrow(/merge key "name"/);
    expect(() => strategicMergePatch({}, { $bogus: 1 }, POD)).toThrow(/unknown directive/);
    // A directive value String() cannot print (found thinking like the patches fuzzer) is still a 400.
    expect(() => strategicMergePatch({}, { $patch: { toString: 1 } }, POD)).toThrow(/unknown patch type/);
    expect(() => strategicMergePatch({}, { $retainKeys: 'x' }, POD)).toThrow(/must be a list/);
  });
});

import { describe, expect, it } from 'vitest';
import { patchMetaOf, typeByKind, type KubeObject } from '../../../api/index.js';
import { describePath, fieldsOf, fromFieldsV1, toFieldsV1 } from './field-set.js';
import { ApplyConflictError, applyConfiguration, recordUpdate } from './managers.js';

const DEPLOY = typeByKind('apps/v1', 'Deployment')!;
const SVC = typeByKind('v1', 'Service')!;
const W = (manager: string) => ({ manager, time: '2026-01-01T00:00:00Z' });

const deploy = (replicas: number, containers: { name: string; image: string }[], labels = { app: 'w' }) =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'w', namespace: 'default', labels },
    spec: { replicas, selector: { matchLabels: { app: 'w' } }, template: { spec: { containers } } },
  }) as KubeObject;

describe('field sets (FieldsV1)', () => {
  it('writes the trie Kubernetes writes: keyed lists as k:, maps with ".", atomic selector as a leaf', () => {
    const fields = toFieldsV1(fieldsOf(deploy(1, [{ name: 'main', image: 'a' }]), patchMetaOf('Deployment')));
    expect(fields).toEqual({
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:spec': { 'f:containers': { 'k:{"name":"main"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
        },
      },
    });
    expect(fromFieldsV1(fields)).toEqual(
      fieldsOf(deploy(1, [{ name: 'main', image: 'a' }]), patchMetaOf('Deployment')),
    );
  });

  it('keys service ports by port and protocol, defaulting protocol to TCP', () => {
    const svc = { metadata: { name: 's' }, spec: { ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }] } };
    const f = toFieldsV1(fieldsOf(svc, patchMetaOf('Service')));
    expect(Object.keys((f['f:spec'] ?? {})['f:ports'] ?? {})).toEqual([
      'k:{"port":80,"protocol":"TCP"}',
      'k:{"port":53,"protocol":"UDP"}',
    ]);
    expect(SVC.kind).toBe('Service');
  });

  it('names a path as Kubernetes does in a conflict', () => {
    expect(
      describePath(JSON.stringify(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"a"}', 'f:image'])),
    ).toBe('.spec.template.spec.containers[name="a"].image');
  });
});

describe('managers', () => {
  it('an Update takes the fields it changed from other managers', () => {
    const created = deploy(1, [{ name: 'main', image: 'a' }]);
    const mf = recordUpdate(DEPLOY, undefined, created, undefined, W('creator'));
    const cur = { ...created, metadata: { ...created.metadata, managedFields: mf } } as KubeObject;
    const next = { ...cur, spec: { ...(cur.spec as object), replicas: 3 } } as KubeObject;
    const after = recordUpdate(DEPLOY, cur, next, cur.metadata.managedFields, W('scaler'));
    expect(after?.find((m) => m.manager === 'scaler')?.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
    expect(after?.find((m) => m.manager === 'creator')?.fieldsV1['f:spec']?.['f:replicas']).toBeUndefined();
  });

  it('apply: conflict unless forced; a dropped container is removed; another manager’s container stays', () => {
    const first = applyConfiguration(
      DEPLOY,
      undefined,
      deploy(1, [
        { name: 'a', image: '1' },
        { name: 'b', image: '1' },
      ]),
      W('me'),
      false,
    );
    let cur = {
      ...first.object,
      metadata: { ...first.object.metadata, managedFields: first.managedFields },
    } as KubeObject;
    // Someone else adds container c and changes replicas.
    const changed = {
      ...cur,
      spec: {
        ...(cur.spec as object),
        replicas: 4,
        template: {
          spec: {
            containers: [
              { name: 'a', image: '1' },
              { name: 'b', image: '1' },
              { name: 'c', image: '9' },
            ],
          },
        },
      },
    } as KubeObject;
    cur = {
      ...changed,
      metadata: { ...changed.metadata, managedFields: recordUpdate(DEPLOY, cur, changed, undefined, W('other')) },
    };

    const conflict = (() => {
      try {
        applyConfiguration(DEPLOY, cur, deploy(2, [{ name: 'a', image: '1' }]), W('me'), false);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(conflict).toBeInstanceOf(ApplyConflictError);
    expect((conflict as ApplyConflictError).causes).toEqual([
      { reason: 'FieldManagerConflict', message: 'conflict with "other" using apps/v1', field: '.spec.replicas' },
    ]);

    const forced = applyConfiguration(DEPLOY, cur, deploy(2, [{ name: 'a', image: '1' }]), W('me'), true);
    const spec = forced.object.spec as { replicas: number; template: { spec: { containers: { name: string }[] } } };
    expect(spec.replicas).toBe(2);
    expect(spec.template.spec.containers.map((c) => c.name)).toEqual(['a', 'c']);
    expect(
      forced.managedFields?.find((m) => m.manager === 'other')?.fieldsV1['f:spec']?.['f:replicas'],
    ).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import type { Deployment, ReplicaSet } from '../../api/index.js';
import {
  annotationsToCopy,
  newReplicaSetTarget,
  oldReplicaSetsScaleDown,
  surgeAndUnavailable,
  templateHash,
  templatesEqual,
  TEMPLATE_HASH_LABEL,
} from './rollout.js';

const template = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', image: 'edgeplane.hub/web.wasm@sha256:' + 'a'.repeat(64) }] },
};

function deployment(replicas: number, strategy?: Deployment['spec']['strategy']): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template, ...(strategy ? { strategy } : {}) },
  };
}

function rs(name: string, replicas: number, available: number): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: { replicas, selector: {}, template },
    status: { replicas, availableReplicas: available },
  };
}

describe('rollout arithmetic', () => {
  it('resolves Kubernetes defaults: 25% surge rounded up, 25% unavailable rounded down', () => {
    expect(surgeAndUnavailable(deployment(10))).toEqual({ maxSurge: 3, maxUnavailable: 2 });
    expect(surgeAndUnavailable(deployment(1))).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(
      surgeAndUnavailable(deployment(4, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } })),
    ).toEqual({ maxSurge: 0, maxUnavailable: 1 });
    expect(surgeAndUnavailable(deployment(4, { type: 'Recreate' }))).toEqual({ maxSurge: 0, maxUnavailable: 4 });
  });

  it('grows the new ReplicaSet only within maxSurge', () => {
    const d = deployment(4); // surge 1, unavailable 1
    const newRS = rs('new', 0, 0);
    const old = rs('old', 4, 4);
    expect(newReplicaSetTarget(d, newRS, [newRS, old])).toBe(1);
    // Once old shrank to 3, new may grow to 2 (total stays at replicas + surge = 5).
    expect(newReplicaSetTarget(d, rs('new', 1, 1), [rs('new', 1, 1), rs('old', 3, 3)])).toBe(2);
  });

  it('shrinks old ReplicaSets only while availability stays above replicas - maxUnavailable', () => {
    const d = deployment(4);
    // New pod not yet available: total 5, minAvailable 3, new unavailable 1 → may drop 1.
    expect(oldReplicaSetsScaleDown(d, rs('new', 1, 0), [rs('old', 4, 4)])).toBe(1);
    // A new revision that never becomes available: after that one step, no further old pods go.
    expect(oldReplicaSetsScaleDown(d, rs('new', 2, 0), [rs('old', 3, 3)])).toBe(0);
  });

  it('hashes templates stably and compares them without the hash label', () => {
    expect(templateHash(template)).toBe(templateHash(structuredClone(template)));
    expect(templateHash(template)).not.toBe(templateHash(template, 1));
    const labelled = { ...template, metadata: { labels: { ...template.metadata.labels, [TEMPLATE_HASH_LABEL]: 'x' } } };
    expect(templatesEqual(labelled, template)).toBe(true);
    expect(
      templatesEqual({ ...template, spec: { containers: [{ name: 'web', image: 'other.wasm' }] } }, template),
    ).toBe(false);
  });

  it("takes empty objects, empty lists and nulls as absent, as kubectl's rollout undo writes them", () => {
    const undone = {
      metadata: { ...template.metadata, creationTimestamp: null },
      spec: { ...template.spec, containers: template.spec.containers.map((c) => ({ ...c, resources: {}, env: [] })) },
    } as unknown as typeof template;
    expect(templatesEqual(template, undone)).toBe(true);
    const limited = {
      ...template,
      spec: { containers: template.spec.containers.map((c) => ({ ...c, resources: { limits: { cpu: '1' } } })) },
    };
    expect(templatesEqual(template, limited)).toBe(false);
  });
});

describe('annotationsToCopy', () => {
  it('copies what the ReplicaSet lacks or holds otherwise, skipping what Kubernetes skips', () => {
    const d = {
      metadata: {
        annotations: {
          'kubernetes.io/change-cause': 'set image',
          team: 'edge',
          'kubectl.kubernetes.io/last-applied-configuration': '{}',
          'deployment.kubernetes.io/revision': '7',
          'deployment.kubernetes.io/desired-replicas': '3',
        },
      },
    };
    expect(annotationsToCopy(d)).toEqual({ 'kubernetes.io/change-cause': 'set image', team: 'edge' });
    expect(annotationsToCopy(d, { team: 'edge', 'kubernetes.io/change-cause': 'older' })).toEqual({
      'kubernetes.io/change-cause': 'set image',
    });
    expect(annotationsToCopy({ metadata: {} }, { team: 'edge' })).toEqual({});
  });
});

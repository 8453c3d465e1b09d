import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../api/index.js';
import { parseTaint } from './node-ops.js';
import { deploymentProgress } from './rollout-status.js';

const dep = (status: Deployment['status'], generation = 2): Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', generation },
  spec: {
    replicas: 4,
    selector: { matchLabels: { a: 'b' } },
    template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x.wasm' }] } },
  },
  status,
});

describe('rollout status', () => {
  it('reads progress as kubectl does', () => {
    expect(deploymentProgress(dep({ observedGeneration: 1 })).message).toMatch(/spec update to be observed/);
    expect(
      deploymentProgress(dep({ observedGeneration: 2, replicas: 5, updatedReplicas: 1, availableReplicas: 3 })).message,
    ).toBe('Waiting for deployment "web" rollout to finish: 1 out of 4 new replicas have been updated...');
    expect(
      deploymentProgress(dep({ observedGeneration: 2, replicas: 5, updatedReplicas: 4, availableReplicas: 4 })).message,
    ).toMatch(/1 old replicas are pending termination/);
    expect(
      deploymentProgress(dep({ observedGeneration: 2, replicas: 4, updatedReplicas: 4, availableReplicas: 3 })).message,
    ).toMatch(/3 of 4 updated replicas are available/);
    const done = deploymentProgress(
      dep({ observedGeneration: 2, replicas: 4, updatedReplicas: 4, availableReplicas: 4 }),
    );
    expect(done).toEqual({ message: 'deployment "web" successfully rolled out', done: true });
    const failed = deploymentProgress(
      dep({
        observedGeneration: 2,
        conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
      }),
    );
    expect(failed).toMatchObject({ done: true, failed: true });
  });
});

describe('taint syntax', () => {
  it('parses additions and removals, and refuses nonsense', () => {
    expect(parseTaint('dedicated=edge:NoSchedule')).toEqual({
      remove: false,
      key: 'dedicated',
      value: 'edge',
      effect: 'NoSchedule',
    });
    expect(parseTaint('maintenance:NoExecute')).toEqual({ remove: false, key: 'maintenance', effect: 'NoExecute' });
    expect(parseTaint('dedicated:NoSchedule-')).toEqual({ remove: true, key: 'dedicated', effect: 'NoSchedule' });
    expect(parseTaint('dedicated-')).toEqual({ remove: true, key: 'dedicated' });
    expect(() => parseTaint('dedicated=edge')).toThrow(/invalid taint/);
    expect(() => parseTaint('x:Sometimes')).toThrow(/invalid taint/);
  });
});

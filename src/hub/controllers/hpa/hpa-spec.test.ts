/**
 * The HorizontalPodAutoscaler's spec as the registry takes it, with the HPA controller running
 * (`testing/hpa-rig.ts`): invalid specs refused with the field named, and the defaults of minReplicas, the
 * metric and the behavior. Scaling: `hpa-controller.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import type { HorizontalPodAutoscaler } from '../../../api/index.js';
import { HPA, hpaRig } from './testing/hpa-rig.js';

describe('HpaController', () => {
  const rig = hpaRig();
  const { hpa } = rig;

  it('refuses invalid specs with the field named', async () => {
    await expect(
      hpa({
        minReplicas: 0,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
        ],
      }),
    ).rejects.toThrow(/spec\.minReplicas/);
    await expect(hpa({ minReplicas: 5, maxReplicas: 2 })).rejects.toThrow(/spec\.maxReplicas.*minReplicas/);
    await expect(
      rig.api.create(HPA, {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'x', namespace: 'default' },
        spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3, metrics: [{ type: 'External' }] },
      }),
    ).rejects.toThrow(/spec\.metrics\[0\]\.type/);
  });

  it('defaults minReplicas, a CPU 80% metric and the behavior fields', async () => {
    await rig.api.create(HPA, {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'd', namespace: 'default' },
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'web' },
        maxReplicas: 3,
        behavior: { scaleDown: { stabilizationWindowSeconds: 10 } },
      },
    });
    const h = await rig.api.get<HorizontalPodAutoscaler>(HPA, 'default', 'd');
    expect(h.spec.minReplicas).toBe(1);
    expect(h.spec.metrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
    ]);
    expect(h.spec.behavior?.scaleDown).toEqual({
      stabilizationWindowSeconds: 10,
      selectPolicy: 'Max',
      policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
    });
    expect(h.spec.behavior?.scaleUp?.policies).toHaveLength(2);
  });
});

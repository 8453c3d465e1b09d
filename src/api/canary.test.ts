import { describe, expect, it } from 'vitest';
import { InvalidError } from './errors.js';
import { typeByName, type ResourceType } from './registry.js';
import { validateObject } from './validate.js';

const CANARY = typeByName('canaries') as ResourceType;

/** The `field: message` causes the API answers for a Canary with `autoscalerRef`, or [] when valid. */
function refused(autoscalerRef: object): string[] {
  try {
    validateObject(CANARY, {
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name: 'podinfo', namespace: 'default' },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
        service: { port: 80 },
        analysis: { interval: '1m', stepWeight: 10 },
        autoscalerRef,
      },
    });
  } catch (err) {
    if (err instanceof InvalidError) return err.causes.map((c) => `${c.field}: ${c.message}`);
    throw err;
  }
  return [];
}

describe('Canary autoscalerRef: the HPA is served, KEDA is refused with the reason', () => {
  it('accepts an autoscaling/v2 HorizontalPodAutoscaler with primaryScalerReplicas', () => {
    expect(
      refused({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        name: 'podinfo',
        primaryScalerReplicas: { minReplicas: 2, maxReplicas: 5 },
      }),
    ).toEqual([]);
  });

  it('refuses primaryScalerQueries (KEDA trigger queries), naming the field', () => {
    expect(
      refused({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        name: 'podinfo',
        primaryScalerQueries: { 'prom-trigger': 'sum(rate(http_requests_total{deployment="podinfo-primary"}[2m]))' },
      }),
    ).toEqual([
      'spec.autoscalerRef.primaryScalerQueries: not supported (KEDA ScaledObject trigger queries): Edgeplane runs ' +
        'no KEDA; an autoscalerRef is an autoscaling/v2 HorizontalPodAutoscaler, mirrored onto the primary with ' +
        'its own metrics',
    ]);
  });

  it('refuses a KEDA ScaledObject as Flagger writes it, naming apiVersion and kind', () => {
    const causes = refused({
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      name: 'podinfo-so',
      primaryScalerQueries: { 'prom-trigger': 'sum(rate(x[1m]))' },
    });
    expect(causes).toEqual([
      'spec.autoscalerRef.apiVersion: must be autoscaling/v2: Edgeplane runs no KEDA; an autoscalerRef is an ' +
        'autoscaling/v2 HorizontalPodAutoscaler',
      'spec.autoscalerRef.kind: must be HorizontalPodAutoscaler (a KEDA ScaledObject is not served): Edgeplane ' +
        'runs no KEDA; an autoscalerRef is an autoscaling/v2 HorizontalPodAutoscaler',
    ]);
  });

  it('names a query map of the wrong shape', () => {
    expect(refused({ kind: 'HorizontalPodAutoscaler', name: 'p', primaryScalerQueries: ['sum(x)'] })).toEqual([
      expect.stringMatching(/^spec\.autoscalerRef\.primaryScalerQueries: /),
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { ScaleHistory, type DecisionInput } from './behavior.js';

const T0 = 1_000_000_000;
const input = (over: Partial<DecisionInput>): DecisionInput => ({
  currentReplicas: 2,
  desiredReplicas: 2,
  minReplicas: 1,
  maxReplicas: 100,
  behavior: undefined,
  nowMs: T0,
  ...over,
});

describe('behavior (stabilization windows and policies)', () => {
  it('caps a scale up at the default policies: +4 pods or +100% per 15 s, the larger', () => {
    const h = new ScaleHistory();
    const d = h.decide(input({ desiredReplicas: 50 }));
    expect(d).toMatchObject({ replicas: 6, limited: true, limitReason: 'ScaleUpLimit' });
    h.recordScale(2, 6, T0);
    // Within the same period the budget is counted from the period's start (2): still at most 6.
    expect(h.decide(input({ currentReplicas: 6, desiredReplicas: 50, nowMs: T0 + 5000 })).replicas).toBe(6);
    // After the period: 6 → max(10, 12) = 12.
    expect(h.decide(input({ currentReplicas: 6, desiredReplicas: 50, nowMs: T0 + 16_000 })).replicas).toBe(12);
  });

  it('holds a scale down for the default 300 s stabilization window', () => {
    const h = new ScaleHistory();
    const first = h.decide(input({ currentReplicas: 4, desiredReplicas: 1 }));
    expect(first).toMatchObject({ replicas: 4, stabilizedReason: 'ScaleDownStabilized' });
    expect(h.decide(input({ currentReplicas: 4, desiredReplicas: 1, nowMs: T0 + 299_000 })).replicas).toBe(4);
    expect(h.decide(input({ currentReplicas: 4, desiredReplicas: 1, nowMs: T0 + 301_000 })).replicas).toBe(1);
  });

  it('applies a scale-up stabilization window, selectPolicy Min and Disabled', () => {
    const behavior = {
      scaleUp: {
        stabilizationWindowSeconds: 60,
        selectPolicy: 'Min' as const,
        policies: [
          { type: 'Pods' as const, value: 1, periodSeconds: 60 },
          { type: 'Percent' as const, value: 200, periodSeconds: 60 },
        ],
      },
      scaleDown: { selectPolicy: 'Disabled' as const },
    };
    const h = new ScaleHistory();
    expect(h.decide(input({ desiredReplicas: 2, behavior })).replicas).toBe(2);
    // The lowest recommendation of the last 60 s is 2: no scale up yet.
    expect(h.decide(input({ desiredReplicas: 8, behavior, nowMs: T0 + 10_000 })).stabilizedReason).toBe(
      'ScaleUpStabilized',
    );
    // Past the window: Min of +1 pod and +200% → 3.
    expect(h.decide(input({ desiredReplicas: 8, behavior, nowMs: T0 + 71_000 })).replicas).toBe(3);
    // Scale down disabled.
    expect(h.decide(input({ currentReplicas: 5, desiredReplicas: 1, behavior, nowMs: T0 + 80_000 })).replicas).toBe(5);
  });

  it('bounds by maxReplicas and minReplicas with their reasons', () => {
    const h = new ScaleHistory();
    const d = h.decide(input({ currentReplicas: 8, desiredReplicas: 30, maxReplicas: 10 }));
    expect(d).toMatchObject({ replicas: 10, limitReason: 'TooManyReplicas' });
    const down = new ScaleHistory();
    const behavior = {
      scaleDown: {
        stabilizationWindowSeconds: 0,
        policies: [{ type: 'Percent' as const, value: 100, periodSeconds: 15 }],
      },
    };
    expect(down.decide(input({ currentReplicas: 5, desiredReplicas: 1, minReplicas: 3, behavior }))).toMatchObject({
      replicas: 3,
      limitReason: 'TooFewReplicas',
    });
  });
});

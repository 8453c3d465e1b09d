import { describe, expect, it } from 'vitest';
import { Pod } from './pod.js';
import {
  CpuQuantity,
  MAX_CPU_CORES,
  MAX_MEMORY_BYTES,
  MemoryQuantity,
  Quantity,
  cpuMillis,
  isQuantity,
  memoryBytes,
  parseQuantity,
  quantityProblem,
} from './quantity.js';
import { validateObject } from './validate.js';
import { typeByKind } from './registry.js';

describe('parseQuantity', () => {
  it('reads Kubernetes forms', () => {
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('128Mi')).toBe(128 * 2 ** 20);
    expect(parseQuantity('1G')).toBe(1e9);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('.5')).toBe(0.5);
    expect(parseQuantity(2)).toBe(2);
  });

  it('refuses what is not finite or not a quantity', () => {
    for (const bad of ['1e400', '9'.repeat(400), 'Infinity', '-Infinity', 'NaN', '1e', '5 Mi', 'x', '', '1'.repeat(65)])
      expect(parseQuantity(bad), bad).toBeUndefined();
    for (const bad of [Infinity, -Infinity, NaN]) expect(parseQuantity(bad)).toBeUndefined();
  });
});

describe('bounds', () => {
  it('says why a quantity is refused', () => {
    expect(quantityProblem('1e400', 'memory')).toBe(
      'Invalid value: "1e400": quantity is not finite (Infinity, NaN or an exponent too large)',
    );
    expect(quantityProblem('NaN')).toMatch(/^Invalid value: "NaN": quantities must match/);
    expect(quantityProblem('-1')).toBe('Invalid value: "-1": must be greater than or equal to 0');
    expect(quantityProblem('9Ei', 'memory')).toMatch(/must be no more than 9007199254740991 bytes/);
    expect(quantityProblem('2000000', 'cpu')).toBe(
      `Invalid value: "2000000": must be no more than ${MAX_CPU_CORES} cores`,
    );
    expect(quantityProblem({}, 'cpu')).toMatch(/must be a quantity/);
    expect(quantityProblem('x'.repeat(1000))).toMatch(/at most 64 characters/);
  });

  it('accepts the largest values the runtimes express exactly, and no more', () => {
    expect(isQuantity(MAX_MEMORY_BYTES, 'memory')).toBe(true);
    expect(isQuantity(MAX_MEMORY_BYTES + 2, 'memory')).toBe(false);
    expect(isQuantity('7Pi', 'memory')).toBe(true);
    expect(isQuantity(`${MAX_CPU_CORES}`, 'cpu')).toBe(true);
    expect(isQuantity(`${MAX_CPU_CORES + 1}`, 'cpu')).toBe(false);
    expect(CpuQuantity.safeParse('250m').success).toBe(true);
    expect(MemoryQuantity.safeParse('64Mi').success).toBe(true);
    expect(Quantity.safeParse(Infinity).success).toBe(false);
  });

  it('clamps what conversions return (never negative, never past the bound)', () => {
    expect(cpuMillis('-2')).toBe(0);
    expect(cpuMillis('1e12')).toBe(MAX_CPU_CORES * 1000);
    expect(memoryBytes('1e400')).toBe(0);
    expect(memoryBytes('9Ei')).toBe(MAX_MEMORY_BYTES);
  });

  it('names the field of a pod whose quantities are refused', () => {
    const type = typeByKind('v1', 'Pod')!;
    const pod = (limits: Record<string, unknown>) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'x.wasm', resources: { limits } }] },
    });
    expect(() => validateObject(type, pod({ memory: '1e400' }))).toThrow(
      'spec.containers[0].resources.limits.memory: Invalid value: "1e400": quantity is not finite',
    );
    expect(() => validateObject(type, pod({ cpu: '5e6' }))).toThrow(
      'spec.containers[0].resources.limits.cpu: Invalid value: "5e6": must be no more than 1000000 cores',
    );
    expect(() => validateObject(type, pod({ memory: Infinity }))).toThrow(
      /spec\.containers\[0\]\.resources\.limits\.memory/,
    );
    expect(Pod.safeParse(pod({ cpu: '500m', memory: '128Mi' })).success).toBe(true);
  });
});

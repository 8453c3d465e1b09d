/** Properties of quantities: what the formatters print, the parser reads back to the same amount. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_CPU_CORES, cpuMillis, formatBytes, formatCpu, memoryBytes, parseQuantity } from './quantity.js';

describe('quantity round trips', () => {
  it('formatBytes → memoryBytes is the identity on whole Ki/Mi/Gi amounts and small byte counts', () => {
    const exact = fc.oneof(
      fc.integer({ min: 0, max: 2 ** 20 - 1 }),
      fc.tuple(fc.integer({ min: 1, max: 1 << 20 }), fc.constantFrom(2 ** 10, 2 ** 20, 2 ** 30)).map(([n, u]) => n * u),
    );
    fc.assert(
      fc.property(exact, (bytes) => {
        expect(memoryBytes(formatBytes(bytes))).toBe(bytes);
      }),
    );
  });

  it('formatBytes rounds to the mebibyte above 1Mi, never by more than half of one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2 ** 20, max: 2 ** 40 }), (bytes) => {
        expect(Math.abs(memoryBytes(formatBytes(bytes)) - bytes)).toBeLessThanOrEqual(2 ** 19);
      }),
    );
  });

  it('formatCpu → cpuMillis is the identity on millicores', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_CPU_CORES * 1000 }), (millis) => {
        expect(cpuMillis(formatCpu(millis))).toBe(millis);
      }),
    );
  });

  it('parses decimal and binary suffixes as their multiples', () => {
    const suffixes = [
      ['', 1],
      ['k', 1e3],
      ['M', 1e6],
      ['G', 1e9],
      ['Ki', 2 ** 10],
      ['Mi', 2 ** 20],
      ['Gi', 2 ** 30],
    ] as const;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.constantFrom(...suffixes), (n, [suffix, size]) => {
        expect(parseQuantity(`${n}${suffix}`)).toBe(n * size);
      }),
    );
  });

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const v = parseQuantity(text);
        expect(v === undefined || Number.isFinite(v)).toBe(true);
        expect(Number.isFinite(memoryBytes(text)) && Number.isFinite(cpuMillis(text))).toBe(true);
      }),
    );
  });
});

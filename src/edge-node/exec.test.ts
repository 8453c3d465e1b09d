/**
 * An exec's output always fits the wire schema's execResult: what a runtime returns (an Engine API
 * exec may overshoot its 1 MiB cap by a chunk; UTF-8 decoding may turn bytes into more or fewer
 * UTF-16 units) is cut with a note, never sent to be refused whole by the hub.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NodeToHub } from '../api/index.js';
import { EXEC_OUTPUT_MAX_CHARS, fitExecOutput } from './exec.js';

const resultOf = (stdout: string, stderr: string) =>
  NodeToHub.safeParse({ type: 'execResult', requestId: 'r1', exitCode: 0, stdout, stderr });

describe('fitExecOutput', () => {
  it('leaves output within the cap as it is', () => {
    const text = 'x'.repeat(EXEC_OUTPUT_MAX_CHARS);
    expect(fitExecOutput(text)).toBe(text);
    expect(fitExecOutput('')).toBe('');
  });

  it('cuts output past the cap with a note, and the result passes the wire schema', () => {
    const text = '0123456789'.repeat(300_000); // 3 MB: past the cap, refused as it is
    expect(resultOf(text, '').success).toBe(false);
    const fitted = fitExecOutput(text);
    expect(fitted.length).toBeLessThanOrEqual(EXEC_OUTPUT_MAX_CHARS);
    expect(fitted.endsWith('\n[edgeplane] output truncated to fit the exec result\n')).toBe(true);
    expect(text.startsWith(fitted.slice(0, 1000))).toBe(true);
    expect(resultOf(fitted, fitExecOutput(text)).success).toBe(true);
  });

  it('fits any output, whatever its length and characters, without splitting a surrogate pair', () => {
    const unit = fc.oneof(fc.constant('a'), fc.constant('\u{1F600}'), fc.constant('é'), fc.string({ maxLength: 3 }));
    fc.assert(
      fc.property(
        unit,
        fc.integer({ min: EXEC_OUTPUT_MAX_CHARS - 4, max: EXEC_OUTPUT_MAX_CHARS + 4 }),
        fc.nat(3),
        (u, n, extra) => {
          const text = u.length === 0 ? '' : u.repeat(Math.ceil(n / u.length)) + 'b'.repeat(extra);
          const fitted = fitExecOutput(text);
          expect(fitted.length).toBeLessThanOrEqual(EXEC_OUTPUT_MAX_CHARS);
          expect(resultOf(fitted, '').success).toBe(true);
          if (fitted !== text) {
            const body = fitted.slice(0, fitted.lastIndexOf('\n[edgeplane]'));
            expect(text.startsWith(body)).toBe(true);
            expect(/[\uD800-\uDBFF]$/.test(body)).toBe(false);
          }
        },
      ),
      { numRuns: 60, seed: 11 },
    );
  });
});

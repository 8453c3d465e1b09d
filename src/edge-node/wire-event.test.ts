/** Events the agent sends are fitted to the wire caps: a hostile or verbose message can never get a frame refused. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NodeEvent, NodeToHub, decodeFrame, encodeFrame } from '../api/index.js';
import { fitEvent, truncateText } from './wire-event.js';

const pod = { namespace: 'default', name: 'web-1', uid: '7d3c' };

describe('fitEvent', () => {
  it('leaves a short event alone and cuts a long one to the wire caps', () => {
    expect(fitEvent('Pulled', 'pulled image')).toEqual({ reason: 'Pulled', message: 'pulled image' });
    const { reason, message } = fitEvent('R'.repeat(500), `registry said: ${'x'.repeat(100_000)}`);
    expect(reason).toHaveLength(128);
    expect(message).toHaveLength(4096);
    expect(message.endsWith('x…')).toBe(true);
    expect(fitEvent('', 'm').reason).toBe('Unknown');
    // A cut never leaves half a surrogate pair; a lone one becomes U+FFFD.
    expect(truncateText(`${'a'.repeat(8)}😀😀`, 10)).toBe(`${'a'.repeat(8)}…`);
    expect(truncateText('a\uD800b', 10)).toBe('a\uFFFDb');
  });

  it('whatever the reason and message, the frame passes the wire schema after encoding', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.string({ unit: 'binary', maxLength: 6000 }),
        (r, m) => {
          const frame = { type: 'event' as const, pod, eventType: 'Warning' as const, ...fitEvent(r, m) };
          expect(NodeEvent.safeParse(frame).success).toBe(true);
          expect(() => decodeFrame(NodeToHub, encodeFrame(frame))).not.toThrow();
        },
      ),
      { seed: 11, numRuns: 300 },
    );
  });
});

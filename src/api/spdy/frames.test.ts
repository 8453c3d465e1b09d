/* SPDY/3.1 framing: frames survive any split of the byte stream; bad input fails only as a protocol error. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ControlType,
  FrameReader,
  MAX_CONTROL_FRAME_BYTES,
  MAX_DATA_FRAME_BYTES,
  SpdyProtocolError,
  encodeControl,
  encodeData,
  encodeGoAway,
  encodePing,
  encodeRstStream,
  encodeSynReply,
  parseGoAway,
  parsePing,
  parseRstStream,
  parseStreamHeaders,
  parseSynStream,
  type SpdyFrame,
} from './frames.js';

/** Feeds `bytes` to a reader cut at `cuts` and returns every frame it gave. */
function readCut(bytes: Buffer, cuts: number[]): SpdyFrame[] {
  const reader = new FrameReader();
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const frames: SpdyFrame[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    frames.push(...reader.push(bytes.subarray(from, p)));
    from = p;
  }
  expect(reader.buffered).toBe(0);
  return frames;
}

const dataFrame = fc.record({
  kind: fc.constant('data' as const),
  streamId: fc.integer({ min: 1, max: 0x7fffffff }),
  fin: fc.boolean(),
  data: fc.uint8Array({ maxLength: 300 }),
});
const controlFrame = fc.record({
  kind: fc.constant('control' as const),
  type: fc.integer({ min: 1, max: 0xffff }),
  flags: fc.integer({ min: 0, max: 255 }),
  payload: fc.uint8Array({ maxLength: 300 }),
});

describe('SPDY frames', () => {
  it('come out of the reader as they went in, however the bytes are cut', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(dataFrame, controlFrame), { maxLength: 12 }), fc.array(fc.nat()), (fs, cuts) => {
        const bytes = Buffer.concat(
          fs.map((f) =>
            f.kind === 'data' ? encodeData(f.streamId, f.data, f.fin) : encodeControl(f.type, f.flags, f.payload),
          ),
        );
        const out = readCut(bytes, cuts);
        expect(out.length).toBe(fs.length);
        out.forEach((got, i) => {
          const want = fs[i]!;
          if (want.kind === 'data') {
            expect(got).toMatchObject({ kind: 'data', streamId: want.streamId, flags: want.fin ? 1 : 0 });
            expect(Buffer.from((got as { data: Buffer }).data).equals(Buffer.from(want.data))).toBe(true);
          } else {
            expect(got).toMatchObject({ kind: 'control', version: 3, type: want.type, flags: want.flags });
            expect(Buffer.from((got as { payload: Buffer }).payload).equals(Buffer.from(want.payload))).toBe(true);
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes give frames or a SpdyProtocolError, nothing else, and the parsers the same', () => {
    const parsers = [parseSynStream, parseStreamHeaders, parseRstStream, parsePing, parseGoAway];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 8 }), (raw, cuts) => {
        const bytes = Buffer.from(raw);
        try {
          const reader = new FrameReader();
          let from = 0;
          for (const p of [...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length]) {
            for (const f of reader.push(bytes.subarray(from, Math.max(from, p)))) {
              if (f.kind !== 'control') continue;
              for (const parse of parsers) {
                try {
                  parse(f.payload);
                } catch (err) {
                  expect(err).toBeInstanceOf(SpdyProtocolError);
                }
              }
            }
            from = Math.max(from, p);
          }
        } catch (err) {
          expect(err).toBeInstanceOf(SpdyProtocolError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a frame longer than its bound from its head, before holding its bytes', () => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(1, 0);
    head.writeUInt32BE(MAX_DATA_FRAME_BYTES + 1, 4);
    expect(() => new FrameReader().push(head)).toThrow(/at most/);
    const ctl = encodeControl(ControlType.synStream, 0, Buffer.alloc(0));
    ctl.writeUInt32BE(MAX_CONTROL_FRAME_BYTES + 1, 4);
    expect(() => new FrameReader().push(ctl)).toThrow(SpdyProtocolError);
  });

  it('writes the frames kubectl reads: SYN_REPLY, RST_STREAM, PING, GOAWAY with their fields', () => {
    const [reply, rst, ping, away] = readCut(
      Buffer.concat([
        encodeSynReply(5, Buffer.from([1, 2, 3]), true),
        encodeRstStream(7, 5),
        encodePing(9),
        encodeGoAway(11, 0),
      ]),
      [],
    );
    expect(reply).toMatchObject({ kind: 'control', type: ControlType.synReply, flags: 1 });
    const r = parseStreamHeaders((reply as { payload: Buffer }).payload);
    expect(r.streamId).toBe(5);
    expect([...r.headerBlock]).toEqual([1, 2, 3]);
    expect(parseRstStream((rst as { payload: Buffer }).payload)).toEqual({ streamId: 7, status: 5 });
    expect(parsePing((ping as { payload: Buffer }).payload)).toBe(9);
    expect(parseGoAway((away as { payload: Buffer }).payload)).toEqual({ lastGoodStreamId: 11, status: 0 });
  });
});

/**
 * Hostile msgpack for the two frame fuzzers (node→hub `frames`, hub→node `agent-frames`): byte-level
 * mutations of valid frames, and crafted msgpack that attacks a decoder — deep nesting, lying lengths,
 * extension types, structured-clone reference bombs, records, bundled strings, maps of thousands of
 * keys, values just past a bound. What differs between the directions (which message types exist, what
 * lies just past one of its bounds) is passed in.
 */
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { encodeFrame } from '../../src/api/index.js';

const INTERESTING = [
  0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xc0, 0xc1, 0xc7, 0xc9, 0xd4, 0xd8, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xff,
];

/** One byte-level change to an encoded frame. */
export type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; byte: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; len: number }
  | { op: 'truncate'; at: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    op: fc.constant('set' as const),
    at: fc.nat(),
    byte: fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 })),
  }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 9 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
);

/** `bytes` with `muts` applied in order (positions wrap around the current length). */
export function mutate(bytes: Uint8Array, muts: Mutation[]): Uint8Array {
  let b = Buffer.from(bytes);
  for (const m of muts) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    if (m.op === 'flip' && b.length > 0) b[at] = (b[at] as number) ^ (1 << m.bit);
    else if (m.op === 'set' && b.length > 0) b[at] = m.byte;
    else if (m.op === 'insert') b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
    else if (m.op === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
    else if (m.op === 'truncate') b = b.subarray(0, at);
  }
  return b;
}

/** What the hostile generator needs to know of one direction's messages. */
export interface HostileSpec {
  /** Valid messages of the direction (re-encoded as records and bundled strings). */
  validMessage: fc.Arbitrary<unknown>;
  /** A message type with one string field (`{type, [key]: value}`): carries extensions and wide maps. */
  simple: { type: string; key: string; value: string };
  /** A message around a structured-clone reference bomb. */
  refBomb(node: unknown[]): Record<string, unknown>;
  /** Frames just past one of the direction's bounds (or otherwise malformed in its own terms). */
  pastBounds: ReadonlyArray<fc.Arbitrary<Uint8Array>>;
}

const withRecords = new Packr({ useRecords: true });
const bundled = new Packr({ bundleStrings: true, useRecords: false });
const cloning = new Packr({ structuredClone: true, useRecords: false });
const be32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
/** A msgpack fixstr (the names here are all under 32 bytes). */
const fixstr = (s: string): number[] => [0xa0 | Buffer.byteLength(s), ...Buffer.from(s)];

/** Crafted msgpack that attacks a decoder, plus `spec`'s own past-the-bound frames. */
export function hostileMsgpack(spec: HostileSpec): fc.Arbitrary<Uint8Array> {
  const { validMessage, simple } = spec;
  return fc.oneof(
    // Deep nesting of arrays or single-key maps.
    fc.record({ depth: fc.integer({ min: 20, max: 5000 }), map: fc.boolean() }).map(({ depth, map }) => {
      const unit = map ? [0x81, 0xa1, 0x61] : [0x91];
      const out = new Uint8Array(depth * unit.length + 1);
      for (let i = 0; i < depth; i++) out.set(unit, i * unit.length);
      out[out.length - 1] = 0xc0;
      return out;
    }),
    // A container, string or binary declaring far more than follows.
    fc
      .record({
        hdr: fc.constantFrom(0xdc, 0xdd, 0xde, 0xdf, 0xd9, 0xda, 0xdb, 0xc4, 0xc5, 0xc6),
        len: fc.integer({ min: 1, max: 0xffffffff }),
        tail: fc.uint8Array({ maxLength: 16 }),
      })
      .map(({ hdr, len, tail }) => {
        const width = [0xdc, 0xde, 0xda, 0xc5].includes(hdr) ? 2 : [0xd9, 0xc4].includes(hdr) ? 1 : 4;
        return Uint8Array.from([hdr, ...be32(len).slice(4 - width), ...tail]);
      }),
    // Extension types, alone or as a value inside a message.
    fc
      .record({
        hdr: fc.constantFrom(0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xc7, 0xc8, 0xc9),
        type: fc.integer({ min: 0, max: 255 }),
        payload: fc.uint8Array({ maxLength: 40 }),
        wrap: fc.boolean(),
      })
      .map(({ hdr, type, payload, wrap }) => {
        const fixed: Record<number, number> = { 0xd4: 1, 0xd5: 2, 0xd6: 4, 0xd7: 8, 0xd8: 16 };
        const size = fixed[hdr];
        const body =
          size !== undefined
            ? [...payload.slice(0, size), ...new Array<number>(Math.max(0, size - payload.length)).fill(0)]
            : [...payload];
        const lenBytes =
          size !== undefined ? [] : hdr === 0xc7 ? [body.length] : hdr === 0xc8 ? [0, body.length] : be32(body.length);
        const ext = [hdr, ...lenBytes, type, ...body];
        return Uint8Array.from(
          wrap ? [0x82, ...fixstr('type'), ...fixstr(simple.type), ...fixstr(simple.key), ...ext] : ext,
        );
      }),
    // One array referenced twice per level: a few hundred bytes, 2^depth nodes once walked.
    fc.integer({ min: 1, max: 40 }).map((depth) => {
      let node: unknown[] = ['x'];
      for (let i = 0; i < depth; i++) node = [node, node];
      return cloning.pack(spec.refBomb(node));
    }),
    validMessage.map((m) => withRecords.pack([m, m, m])),
    validMessage.map((m) => bundled.pack({ ...(m as object), pad: 'p'.repeat(64) })),
    // A map of thousands of distinct keys, or a string just past a bound.
    fc.integer({ min: 100, max: 3000 }).map((n) =>
      encodeFrame({
        type: simple.type,
        [simple.key]: simple.value,
        ...Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])),
      }),
    ),
    fc.integer({ min: 60_000, max: 70_000 }).map((n) => encodeFrame({ type: 'error', message: 'm'.repeat(n) })),
    ...spec.pastBounds,
  );
}

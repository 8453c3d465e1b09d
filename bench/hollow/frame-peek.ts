/**
 * Reads the few fields a hollow node needs of a Service frame without decoding its routes. A route
 * of 5,000 endpoints is ~750 KB; 500 hollow nodes decoding it in full cost this one process seconds
 * of CPU that 500 real nodes would spend each on its own core, and the harness then misses its own
 * heartbeats: the figures would measure the harness, not the hub. So `serviceSet` and `serviceDelta`
 * are walked (msgpack is self-delimiting: a value is skipped by reading its headers) and only the
 * stream's names and revisions are decoded; every other frame is decoded in full as before.
 */
import { Unpackr } from 'msgpackr';

const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

/** Offset just past the msgpack value at `at`. */
export function skipValue(b: Buffer, at: number): number {
  let pending = 1;
  let p = at;
  while (pending > 0) {
    pending--;
    const t = b[p];
    if (t === undefined) throw new Error('truncated frame');
    if (t <= 0x7f || t >= 0xe0) p += 1;
    else if (t <= 0x8f) [pending, p] = [pending + (t - 0x80) * 2, p + 1];
    else if (t <= 0x9f) [pending, p] = [pending + (t - 0x90), p + 1];
    else if (t <= 0xbf) p += 1 + (t - 0xa0);
    else
      switch (t) {
        case 0xc0:
        case 0xc2:
        case 0xc3:
          p += 1;
          break;
        case 0xcc:
        case 0xd0:
          p += 2;
          break;
        case 0xcd:
        case 0xd1:
        case 0xd4:
          p += 3;
          break;
        case 0xd5:
          p += 4;
          break;
        case 0xca:
        case 0xce:
        case 0xd2:
          p += 5;
          break;
        case 0xd6:
          p += 6;
          break;
        case 0xcb:
        case 0xcf:
        case 0xd3:
          p += 9;
          break;
        case 0xd7:
          p += 10;
          break;
        case 0xd8:
          p += 18;
          break;
        case 0xc4:
        case 0xd9:
          p += 2 + b.readUInt8(p + 1);
          break;
        case 0xc7:
          p += 3 + b.readUInt8(p + 1);
          break;
        case 0xc5:
        case 0xda:
          p += 3 + b.readUInt16BE(p + 1);
          break;
        case 0xc8:
          p += 4 + b.readUInt16BE(p + 1);
          break;
        case 0xc6:
        case 0xdb:
          p += 5 + b.readUInt32BE(p + 1);
          break;
        case 0xc9:
          p += 6 + b.readUInt32BE(p + 1);
          break;
        case 0xdc:
          [pending, p] = [pending + b.readUInt16BE(p + 1), p + 3];
          break;
        case 0xdd:
          [pending, p] = [pending + b.readUInt32BE(p + 1), p + 5];
          break;
        case 0xde:
          [pending, p] = [pending + b.readUInt16BE(p + 1) * 2, p + 3];
          break;
        case 0xdf:
          [pending, p] = [pending + b.readUInt32BE(p + 1) * 2, p + 5];
          break;
        default:
          throw new Error(`not a msgpack value: 0x${t.toString(16)} at ${p}`);
      }
  }
  if (p > b.length) throw new Error('truncated frame');
  return p;
}

/** The container at `at`: its element count (entries, for a map) and where the first element starts. */
function header(b: Buffer, at: number, kind: 'map' | 'array'): { count: number; start: number } {
  const t = b.readUInt8(at);
  if (kind === 'map') {
    if (t >= 0x80 && t <= 0x8f) return { count: t - 0x80, start: at + 1 };
    if (t === 0xde) return { count: b.readUInt16BE(at + 1), start: at + 3 };
    if (t === 0xdf) return { count: b.readUInt32BE(at + 1), start: at + 5 };
  } else {
    if (t >= 0x90 && t <= 0x9f) return { count: t - 0x90, start: at + 1 };
    if (t === 0xdc) return { count: b.readUInt16BE(at + 1), start: at + 3 };
    if (t === 0xdd) return { count: b.readUInt32BE(at + 1), start: at + 5 };
  }
  throw new Error(`expected a msgpack ${kind} at ${at}`);
}

const decode = (b: Buffer, from: number, to: number): unknown => unpackr.unpack(b.subarray(from, to));

/** The map at `at`: each key with the offsets of its value. */
function entries(b: Buffer, at: number): Map<string, [number, number]> {
  const { count, start } = header(b, at, 'map');
  const out = new Map<string, [number, number]>();
  let p = start;
  for (let i = 0; i < count; i++) {
    const keyEnd = skipValue(b, p);
    const key = decode(b, p, keyEnd);
    const end = skipValue(b, keyEnd);
    if (typeof key === 'string') out.set(key, [keyEnd, end]);
    p = end;
  }
  return out;
}

/** Decodes the fields `names` of the map at `at` (absent ones stay absent). */
function fields(b: Buffer, at: number, names: readonly string[]): Record<string, unknown> {
  const e = entries(b, at);
  const out: Record<string, unknown> = {};
  for (const n of names) {
    const range = e.get(n);
    if (range) out[n] = decode(b, range[0], range[1]);
  }
  return out;
}

/** The `type` of a frame, read from its first entry (the hub encodes every message `type` first). */
function firstType(b: Buffer): unknown {
  const { count, start } = header(b, 0, 'map');
  if (count === 0) return undefined;
  const keyEnd = skipValue(b, start);
  if (decode(b, start, keyEnd) !== 'type') return undefined;
  return decode(b, keyEnd, skipValue(b, keyEnd));
}

/**
 * A Service frame as a hollow node reads it: names and revisions only (a delta's `route` and
 * `endpoints` as `true` when present; a set's routes as `{namespace, name}`). Undefined for every
 * other frame (the caller decodes those in full).
 */
export function peekServiceFrame(b: Buffer): Record<string, unknown> | undefined {
  const type = firstType(b);
  if (type === 'serviceDelta') {
    const top = entries(b, 0);
    const out = fields(b, 0, ['type', 'namespace', 'name', 'rev', 'prev', 'removed']);
    if (top.has('route')) out.route = true;
    if (top.has('endpoints')) out.endpoints = true;
    return out;
  }
  if (type !== 'serviceSet') return undefined;
  const top = entries(b, 0);
  const out = fields(b, 0, ['type', 'epoch', 'revision', 'keep']);
  const services: unknown[] = [];
  const range = top.get('services');
  if (range) {
    const { count, start } = header(b, range[0], 'array');
    let p = start;
    for (let i = 0; i < count; i++) {
      const e = entries(b, p);
      const rev = e.get('rev');
      const route = e.get('route');
      services.push({
        rev: rev ? decode(b, rev[0], rev[1]) : undefined,
        route: route ? fields(b, route[0], ['namespace', 'name']) : undefined,
      });
      p = skipValue(b, p);
    }
  }
  out.services = services;
  return out;
}

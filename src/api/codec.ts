/**
 * Frame codec for the gateway: msgpackr encoding plus zod validation right after decoding, so a
 * garbage frame becomes a `FrameError` naming what is wrong instead of an exception deep inside.
 *
 * Decoding is bounded: `checkMsgpackBounds` runs first and refuses extension types (records,
 * structured-clone references, bundled strings, Set/Date/RegExp/BigInt …), nesting deeper than
 * `MAX_FRAME_DEPTH` and lengths the frame cannot hold, so msgpackr only ever builds a plain tree no
 * larger than the frame, and the work to decode and validate one grows linearly with its size.
 */
import { Packr, type Options } from 'msgpackr';
import type { z } from 'zod';
import { BadRequestError, errorMessage } from './errors.js';
import { MsgpackBoundsError, checkMsgpackBounds } from './msgpack-bounds.js';
import { issuesToCauses } from './validate.js';

/** Deepest nesting of maps and arrays a frame may have (a Pod in a `podSync` needs about 12). */
export const MAX_FRAME_DEPTH = 32;
/**
 * Values (map keys, elements, scalars) a frame may hold unless the caller allows more: a node's
 * frames stay below (statuses go 10 pods a frame), and a hostile one of this size decodes and fails
 * validation in a few milliseconds of CPU (measured: 2,000 never-seen map keys, each a new V8 hidden
 * class, ~2–5 ms). The node allows the hub's large `podSync` more.
 */
export const DEFAULT_MAX_FRAME_VALUES = 2048;

// Plain maps and arrays only: records (structure sharing) would make frames depend on earlier ones.
// `undefined` must not become msgpackr's extension 0 (which the decoder refuses): properties holding
// it are dropped, as JSON does, and array slots become nil. `skipValues` is missing from the typings.
const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  moreTypes: false,
  structuredClone: false,
  encodeUndefinedAsNil: true,
  skipValues: [undefined],
} as Options);

/** A frame that could not be decoded or did not match the protocol. */
export class FrameError extends BadRequestError {}

/** Encodes one message. */
export function encodeFrame(msg: unknown): Buffer {
  return packr.pack(msg);
}

/** True when `frame` is within the bounds `decodeFrame` applies (a sender checks before sending a big batch). */
export function frameWithinBounds(frame: Uint8Array, limits: { maxValues?: number } = {}): boolean {
  try {
    checkMsgpackBounds(frame, { maxDepth: MAX_FRAME_DEPTH, maxValues: limits.maxValues ?? DEFAULT_MAX_FRAME_VALUES });
    return true;
  } catch {
    return false;
  }
}

/** Decodes and validates one frame against `schema`; throws FrameError with the reason (never the frame's bytes). */
export function decodeFrame<S extends z.ZodType>(
  schema: S,
  data: Uint8Array,
  limits: { maxValues?: number } = {},
): z.infer<S> {
  let raw: unknown;
  try {
    checkMsgpackBounds(data, { maxDepth: MAX_FRAME_DEPTH, maxValues: limits.maxValues ?? DEFAULT_MAX_FRAME_VALUES });
    raw = packr.unpack(data);
  } catch (err) {
    // msgpackr's own messages can quote decoded content; ours name offsets only.
    const why =
      err instanceof MsgpackBoundsError
        ? err.message
        : (errorMessage(err).split(/[:{[]/)[0] ?? '').trim().slice(0, 120);
    throw new FrameError(`undecodable frame (${data.byteLength} bytes): ${why}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    // Ten issues (and ten unknown keys) say enough; a frame of thousands must not cost thousands of causes.
    const issues = parsed.error.issues
      .slice(0, 10)
      .map((i) => (i.code === 'unrecognized_keys' ? { ...i, keys: i.keys.slice(0, 10) } : i));
    const causes = issuesToCauses(issues);
    const t = raw !== null && typeof raw === 'object' && 'type' in raw ? raw.type : undefined;
    const type = typeof t === 'string' ? t.slice(0, 64) : '<none>';
    const detail = causes.map((c) => `${c.field}: ${c.message}`).join('; ');
    throw new FrameError(
      `invalid frame of type "${type}": ${detail.length > 1024 ? `${detail.slice(0, 1024)}…` : detail}`,
      causes,
    );
  }
  return parsed.data;
}

/**
 * The `type` of an encoded gateway frame, read from its first map entry without decoding it (frames
 * encoded once for many nodes are sent as bytes). Every message is built with `type` first; a frame
 * that is not, or names a type outside `known`, reads as `other`, so the label set stays bounded.
 */

/** Frame types outside the protocol's (or not found where expected). */
export const OTHER_FRAME_TYPE = 'other';

/** Reads a msgpack string at `at`: [value, next offset], or undefined. */
function str(b: Uint8Array, at: number): [string, number] | undefined {
  const h = b[at];
  if (h === undefined) return undefined;
  let len: number;
  let start: number;
  if (h >= 0xa0 && h <= 0xbf) [len, start] = [h - 0xa0, at + 1];
  else if (h === 0xd9 && b[at + 1] !== undefined) [len, start] = [b[at + 1]!, at + 2];
  else return undefined;
  if (start + len > b.length || len > 64) return undefined;
  return [Buffer.from(b.buffer, b.byteOffset + start, len).toString('utf8'), start + len];
}

/** The frame's `type`, when it is one of `known`; else `other`. */
export function frameType(frame: Uint8Array, known: ReadonlySet<string>): string {
  const h = frame[0];
  let at: number;
  if (h !== undefined && h >= 0x81 && h <= 0x8f) at = 1;
  else if (h === 0xde) at = 3;
  else if (h === 0xdf) at = 5;
  else return OTHER_FRAME_TYPE;
  const key = str(frame, at);
  if (!key || key[0] !== 'type') return OTHER_FRAME_TYPE;
  const value = str(frame, key[1]);
  return value && known.has(value[0]) ? value[0] : OTHER_FRAME_TYPE;
}

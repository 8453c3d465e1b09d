/**
 * A linear pre-pass over a msgpack frame, run before msgpackr sees it. msgpackr has no depth limit,
 * allocates `new Array(n)` for whatever length a header declares, and materialises extension types
 * (structured-clone references that share one object many times, bundled strings, records, Set,
 * Error, RegExp, typed arrays, Date, BigInt) with nothing but global switches to turn them off. This
 * scan walks the frame once, without recursion and without allocating per element, and refuses:
 * - every extension type (`fixext*`, `ext*`) and the reserved byte `0xc1` (msgpackr's bundled
 *   strings), so only plain maps, arrays, strings, numbers, booleans, nil and binaries remain;
 * - nesting deeper than `maxDepth` (msgpackr and zod both recurse);
 * - more than `maxValues` values in all (keys, elements and scalars each count one): what decoding
 *   and validating cost is set by the number of values far more than by bytes (an array of a
 *   million empty maps is 1 MiB and costs zod seconds of issues), so that number is bounded;
 * - a container or string declaring more elements or bytes than the frame has left (each array
 *   element takes at least one byte, each map entry two), so no header can make the decoder allocate
 *   more than the frame's own size;
 * - trailing bytes after the value.
 * What passes decodes to a tree (no shared nodes) whose size is bounded by the frame's byte length.
 */

/** Why a frame was refused by the scan (the message names the offset, never the frame's bytes). */
export class MsgpackBoundsError extends Error {}

/** Header and payload sizes of the fixed-size scalar tokens `0xc0`–`0xd3`. */
function scalarSize(token: number): number | undefined {
  switch (token) {
    case 0xc0:
    case 0xc2:
    case 0xc3:
      return 1;
    case 0xcc:
    case 0xd0:
      return 2;
    case 0xcd:
    case 0xd1:
      return 3;
    case 0xca:
    case 0xce:
    case 0xd2:
      return 5;
    case 0xcb:
    case 0xcf:
    case 0xd3:
      return 9;
    default:
      return undefined;
  }
}

/** Bounds of one frame. */
export interface MsgpackLimits {
  maxDepth: number;
  maxValues: number;
}

/** Throws MsgpackBoundsError unless `buf` holds exactly one plain msgpack value within the bounds. */
export function checkMsgpackBounds(buf: Uint8Array, limits: MsgpackLimits): void {
  const { maxDepth, maxValues } = limits;
  const len = buf.byteLength;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // Remaining element count of each open container (map entries count twice: key and value).
  const open: number[] = [];
  let p = 0;
  let values = 0;
  const need = (n: number, what: string): void => {
    if (n > len - p)
      throw new MsgpackBoundsError(`${what} at offset ${p} runs past the end of the frame (${len} bytes)`);
  };
  for (;;) {
    if (p >= len) throw new MsgpackBoundsError(`frame ends in the middle of a value (${len} bytes)`);
    if (++values > maxValues) throw new MsgpackBoundsError(`more than ${maxValues} values in one frame`);
    const token = buf[p] as number;
    let count = -1; // ≥ 0 when the token opens a container
    let size: number; // bytes of a scalar, header included
    if (token <= 0x7f || token >= 0xe0) size = 1;
    else if (token <= 0x8f) {
      count = (token - 0x80) * 2;
      size = 1;
    } else if (token <= 0x9f) {
      count = token - 0x90;
      size = 1;
    } else if (token <= 0xbf) size = 1 + (token - 0xa0);
    else {
      const fixed = scalarSize(token);
      if (fixed !== undefined) size = fixed;
      else {
        switch (token) {
          case 0xc1:
            throw new MsgpackBoundsError(`reserved byte 0xc1 at offset ${p} (bundled strings are not accepted)`);
          case 0xc4:
          case 0xd9:
            need(2, 'length');
            size = 2 + (buf[p + 1] as number);
            break;
          case 0xc5:
          case 0xda:
            need(3, 'length');
            size = 3 + view.getUint16(p + 1);
            break;
          case 0xc6:
          case 0xdb:
            need(5, 'length');
            size = 5 + view.getUint32(p + 1);
            break;
          case 0xdc:
            need(3, 'array length');
            count = view.getUint16(p + 1);
            size = 3;
            break;
          case 0xdd:
            need(5, 'array length');
            count = view.getUint32(p + 1);
            size = 5;
            break;
          case 0xde:
            need(3, 'map length');
            count = view.getUint16(p + 1) * 2;
            size = 3;
            break;
          case 0xdf:
            need(5, 'map length');
            count = view.getUint32(p + 1) * 2;
            size = 5;
            break;
          default:
            // 0xc7–0xc9 ext 8/16/32 and 0xd4–0xd8 fixext: records, references, Set, Date, BigInt …
            throw new MsgpackBoundsError(
              `msgpack extension type at offset ${p} is not accepted (frames are plain maps, arrays and scalars)`,
            );
        }
      }
    }
    need(size, 'value');
    p += size;
    if (count > 0) {
      if (open.length >= maxDepth)
        throw new MsgpackBoundsError(`nesting deeper than ${maxDepth} levels at offset ${p - size}`);
      // Every element takes at least one byte: a longer declared length is a lie, refused before any allocation.
      if (count > len - p)
        throw new MsgpackBoundsError(
          `container at offset ${p - size} declares ${count} elements but only ${len - p} bytes follow`,
        );
      open.push(count);
      continue;
    }
    // One value complete: close every container it completes.
    while (open.length > 0) {
      const top = open.length - 1;
      const left = (open[top] as number) - 1;
      if (left > 0) {
        open[top] = left;
        break;
      }
      open.pop();
    }
    if (open.length === 0) break;
  }
  if (p !== len) throw new MsgpackBoundsError(`${len - p} bytes after the end of the value`);
}

/**
 * Reading a CRI log file in bounded pieces: `tailStart` finds where the last N lines begin by reading
 * backwards from the end in chunks (a tail of a 10 MiB file reads kilobytes, not the file), and
 * `readLines` reads forward from an offset up to a bound, ending at a line boundary. Lines are the
 * user's lines: a run of `P` (partial) CRI lines and the `F` line ending it count as one, as
 * `criToText` joins them.
 */
import type { FileHandle } from 'node:fs/promises';

/** Bytes read backwards per step. */
export const TAIL_CHUNK_BYTES = 64 * 1024;
/** Most bytes one forward read takes. */
export const READ_CHUNK_BYTES = 256 * 1024;

/** Counts the bytes read from files (tests show a tail reads a bounded amount). */
export interface ReadCounter {
  bytes: number;
}

/** A CRI partial line (`<ts> stdout|stderr P …`): the user's line goes on in the next one. */
function isPartial(head: Buffer): boolean {
  const first = head.indexOf(0x20);
  if (first < 0) return false;
  const second = head.indexOf(0x20, first + 1);
  if (second < 0) return false;
  const stream = head.toString('latin1', first + 1, second);
  return (
    (stream === 'stdout' || stream === 'stderr') &&
    head[second + 1] === 0x50 /* P */ &&
    (head.length === second + 2 || head[second + 2] === 0x20)
  );
}

/** How many bytes of a line's start tell whether it is partial (timestamp, stream, tag). */
const HEAD_BYTES = 64;

/**
 * The offset in `fh` where its last `n` user lines start, of the complete lines before `end` (the
 * offset just after a newline, or 0; for `n` 0, just after the last newline). Reads backwards in `TAIL_CHUNK_BYTES` pieces and stops as soon
 * as it has seen enough lines.
 */
export async function tailStart(
  fh: FileHandle,
  end: number,
  n: number,
  counter?: ReadCounter,
  chunkBytes = TAIL_CHUNK_BYTES,
): Promise<number> {
  // Newlines are met from the end backwards; each one delimits the (complete) line after it.
  let groups = 0;
  let laterEnd = -1; // the newline ending the line being delimited (the later one)
  let first = true; // the last complete line of the file
  let pos = end;
  let tail = Buffer.alloc(0); // the first bytes after the current chunk (a line's head may cross chunks)
  while (pos > 0) {
    const size = Math.min(chunkBytes, pos);
    const chunk = Buffer.alloc(size + tail.length);
    const { bytesRead } = await fh.read(chunk, 0, size, pos - size);
    if (counter) counter.bytes += bytesRead;
    tail.copy(chunk, size);
    const start = pos - size;
    for (let i = size - 1; i >= 0; i--) {
      if (chunk[i] !== 0x0a) continue;
      const nl = start + i;
      if (laterEnd >= 0) {
        // The line (nl, laterEnd] is complete: classify it by its head.
        const lineStart = i + 1;
        const terminator = !isPartial(
          chunk.subarray(lineStart, Math.min(lineStart + HEAD_BYTES, lineStart + (laterEnd - nl))),
        );
        if (first) {
          first = false;
          if (!terminator) groups++; // a trailing run of P lines is a line of its own
        }
        if (terminator && ++groups === n + 1) return laterEnd + 1;
      } else if (n <= 0) {
        return nl + 1; // no line wanted: from the end of the last complete one
      }
      laterEnd = nl;
    }
    pos = start;
    tail = chunk.subarray(0, Math.min(HEAD_BYTES, chunk.length));
  }
  if (laterEnd >= 0 && n > 0) {
    // The file's first line, [0, laterEnd].
    const terminator = !isPartial(tail.subarray(0, Math.min(HEAD_BYTES, laterEnd + 1)));
    if (terminator && groups + 1 === n + 1) return laterEnd + 1;
  }
  return 0;
}

/**
 * Reads from `offset` towards `end`, at most `READ_CHUNK_BYTES`, stopping after the last newline so
 * no line (nor UTF-8 sequence) is cut; a single line longer than the bound is returned cut. `bytes`
 * is how far the offset moves.
 */
export async function readLines(
  fh: FileHandle,
  offset: number,
  end: number,
  counter?: ReadCounter,
  maxBytes = READ_CHUNK_BYTES,
): Promise<{ text: string; bytes: number }> {
  if (end <= offset) return { text: '', bytes: 0 };
  const buf = Buffer.alloc(Math.min(maxBytes, end - offset));
  const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
  if (counter) counter.bytes += bytesRead;
  const lastNl = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
  const used = lastNl >= 0 ? lastNl + 1 : bytesRead === maxBytes ? bytesRead : 0;
  return { text: buf.subarray(0, used).toString('utf8'), bytes: used };
}

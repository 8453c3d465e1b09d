/**
 * Reading a registry's response bodies with a bound: whatever a registry, its CDN or its token server
 * streams, the node keeps at most `maxBytes` of it in memory — checked while reading, not after.
 */
import type { Dispatcher } from 'undici';
import { ImagePullError, errorMessage } from '../api/index.js';

/** Largest error or token body the client reads (both are small JSON documents). */
export const MAX_SMALL_BODY_BYTES = 64 * 1024;
/** Longest registry-supplied text put in an error message (the error may become an Event, capped at 4096). */
export const MAX_DETAIL_CHARS = 512;

/** Reads `res`'s body whole; one byte past `maxBytes` aborts the download with an ImagePullError. */
export async function readCapped(res: Dispatcher.ResponseData, maxBytes: number, what: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      total += chunk.byteLength;
      if (total > maxBytes) {
        res.body.destroy();
        throw new ImagePullError(`${what}: larger than ${maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof ImagePullError) throw err;
    throw new ImagePullError(`${what}: download failed: ${errorMessage(err)}`, err);
  }
  return Buffer.concat(chunks);
}

/**
 * The first `maxBytes` of `res`'s body as text, the rest dropped unread (the connection is closed);
 * never throws: an error body is only ever a hint, and a failing read leaves what came before it.
 */
export async function readHead(res: Dispatcher.ResponseData, maxBytes: number = MAX_SMALL_BODY_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      const room = maxBytes - total;
      chunks.push(chunk.byteLength > room ? chunk.subarray(0, room) : chunk);
      total += Math.min(chunk.byteLength, room);
      if (total >= maxBytes) {
        res.body.destroy();
        break;
      }
    }
  } catch {
    // what came before the failure is kept
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `text` cut to `max` characters (an ellipsis marks the cut), control characters shown as spaces, and
 * never ending in half a surrogate pair.
 */
export function clip(text: string, max: number = MAX_DETAIL_CHARS): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  if (clean.length <= max) return clean;
  let cut = clean.slice(0, Math.max(0, max - 1));
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

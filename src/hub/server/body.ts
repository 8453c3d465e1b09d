/** Reading request bodies: content type check, size limit (also for chunked bodies), JSON parsing. */
import type { Context } from 'hono';
import { BadRequestError, RequestTooLargeError, UnsupportedMediaTypeError, errorMessage } from '../../api/index.js';

/** Default largest object body: 3 MiB, as etcd's default request limit in Kubernetes. */
export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;

/** Content types accepted for PATCH, and the patch flavour each selects. */
export const PATCH_TYPES = {
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'merge',
  'application/json-patch+json': 'json',
} as const;
export type PatchKind = (typeof PATCH_TYPES)[keyof typeof PATCH_TYPES];

/** The media type of the request without parameters (`application/json`), or '' when absent. */
export function mediaType(c: Context): string {
  return (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Reads the raw body, refusing more than `max` bytes whatever the framing. */
export async function readBytes(c: Context, max: number): Promise<Uint8Array> {
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (declared > max) throw new RequestTooLargeError(`request body of ${declared} bytes exceeds the limit of ${max} bytes`);
  const body = c.req.raw.body;
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) throw new RequestTooLargeError(`request body exceeds the limit of ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Parses `bytes` as JSON; a BadRequestError names the parse error. */
export function parseJson(bytes: Uint8Array): unknown {
  const text = new TextDecoder().decode(bytes);
  if (text.trim() === '') throw new BadRequestError('request body is empty; expected a JSON object');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadRequestError(`invalid JSON in request body: ${errorMessage(err)}`);
  }
}

/** Reads a JSON object body (`application/json`, or no content type). */
export async function readJson(c: Context, max: number): Promise<unknown> {
  const type = mediaType(c);
  if (type !== '' && type !== 'application/json') {
    throw new UnsupportedMediaTypeError(`the body of the request was in an unsupported media type "${type}" (expected application/json)`);
  }
  return parseJson(await readBytes(c, max));
}

/** Reads a PATCH body and says which patch flavour its content type selects. */
export async function readPatch(c: Context, max: number): Promise<{ kind: PatchKind; patch: unknown }> {
  const type = mediaType(c);
  const kind = (PATCH_TYPES as Record<string, PatchKind | undefined>)[type];
  if (!kind) {
    throw new UnsupportedMediaTypeError(`the body of the request was in an unsupported media type "${type}" (expected one of ${Object.keys(PATCH_TYPES).join(', ')})`);
  }
  return { kind, patch: parseJson(await readBytes(c, max)) };
}

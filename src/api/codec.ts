/**
 * Frame codec for the gateway: msgpackr encoding plus zod validation right after decoding, so a
 * garbage frame becomes a `FrameError` naming what is wrong instead of an exception deep inside.
 */
import { Packr } from 'msgpackr';
import type { z } from 'zod';
import { BadRequestError, errorMessage } from './errors.js';
import { issuesToCauses } from './validate.js';

// Plain maps and arrays only: records (structure sharing) would make frames depend on earlier ones.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

/** A frame that could not be decoded or did not match the protocol. */
export class FrameError extends BadRequestError {}

/** Encodes one message. */
export function encodeFrame(msg: unknown): Buffer {
  return packr.pack(msg);
}

/** Decodes and validates one frame against `schema`; throws FrameError with the reason. */
export function decodeFrame<S extends z.ZodType>(schema: S, data: Uint8Array): z.infer<S> {
  let raw: unknown;
  try {
    raw = packr.unpack(data);
  } catch (err) {
    throw new FrameError(`undecodable frame (${data.byteLength} bytes): ${errorMessage(err)}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const causes = issuesToCauses(parsed.error.issues);
    const type = raw !== null && typeof raw === 'object' && 'type' in raw ? String((raw as { type: unknown }).type) : '<none>';
    throw new FrameError(`invalid frame of type "${type}": ${causes.map((c) => `${c.field}: ${c.message}`).join('; ')}`, causes);
  }
  return parsed.data;
}

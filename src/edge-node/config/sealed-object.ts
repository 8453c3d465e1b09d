/**
 * One ConfigMap or Secret sealed for the node's disk: AES-256-GCM under the node key, a fresh 96-bit
 * IV per write, and the object's identity (`kind/namespace/name`) as additional data, so a file copied
 * over another object's name does not open. Layout: `EPC1` | IV (12) | ciphertext | tag (16).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConfigObject } from '../../api/index.js';

const MAGIC = Buffer.from('EPC1');
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What is inside the envelope: the object with its values in base64 (JSON carries no bytes). */
const SealedBody = z.object({
  kind: z.enum(['ConfigMap', 'Secret']),
  namespace: z.string(),
  name: z.string(),
  uid: z.string(),
  resourceVersion: z.string(),
  secretType: z.string().optional(),
  data: z.record(z.string(), z.string()),
});

/** The identity of an object: the key of the store and the additional data of its envelope. */
export function objectKey(o: { kind: string; namespace: string; name: string }): string {
  return `${o.kind}/${o.namespace}/${o.name}`;
}

/** Seals `obj` under `key`. */
export function seal(obj: ConfigObject, key: Buffer): Buffer {
  const body = {
    ...obj,
    data: Object.fromEntries(Object.entries(obj.data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(objectKey(obj)));
  const ct = Buffer.concat([cipher.update(JSON.stringify(body), 'utf8'), cipher.final()]);
  return Buffer.concat([MAGIC, iv, ct, cipher.getAuthTag()]);
}

/**
 * Opens a sealed file of the object `expectKey` names. Throws when it is not one, was sealed under
 * another key or for another object, or was altered.
 */
export function unseal(file: Buffer, key: Buffer, expectKey: string): ConfigObject {
  if (file.length < MAGIC.length + IV_BYTES + TAG_BYTES || !file.subarray(0, MAGIC.length).equals(MAGIC))
    throw new Error('not a sealed config object');
  const iv = file.subarray(MAGIC.length, MAGIC.length + IV_BYTES);
  const tag = file.subarray(file.length - TAG_BYTES);
  const ct = file.subarray(MAGIC.length + IV_BYTES, file.length - TAG_BYTES);
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAAD(Buffer.from(expectKey));
  d.setAuthTag(tag);
  const plain = Buffer.concat([d.update(ct), d.final()]);
  const body = SealedBody.parse(JSON.parse(plain.toString('utf8')));
  if (objectKey(body) !== expectKey) throw new Error(`sealed object names ${objectKey(body)}, not ${expectKey}`);
  return ConfigObject.parse({
    ...body,
    data: Object.fromEntries(Object.entries(body.data).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
  });
}

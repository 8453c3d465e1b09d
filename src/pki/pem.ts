/**
 * PEM blocks, bounded: input from the network (a CSR, a CA bundle) is checked for size and shape
 * before any parser sees it.
 */
import { InvalidCertificateError } from './errors.js';

/** The largest PEM text accepted for one certificate or request (a P-256 one is under 1 KiB). */
export const MAX_PEM_BYTES = 64 * 1024;
/** The most certificates accepted in one CA bundle. */
export const MAX_BUNDLE_CERTIFICATES = 16;

const BLOCK = /-----BEGIN ([A-Z0-9 ]{1,40})-----\r?\n([A-Za-z0-9+/=\r\n]{1,65536}?)-----END \1-----/g;

/** One decoded PEM block. */
export interface PemBlock {
  label: string;
  der: Buffer;
}

/**
 * Decodes every PEM block of `text`. Throws `errorClass` (naming `what`) when the text is too large,
 * holds no block, or holds text outside blocks other than whitespace.
 */
export function decodePem(
  text: string,
  what: string,
  errorClass: new (message: string) => Error = InvalidCertificateError,
): PemBlock[] {
  if (typeof text !== 'string' || text.length === 0) throw new errorClass(`${what}: empty`);
  if (text.length > MAX_PEM_BYTES) throw new errorClass(`${what}: larger than ${MAX_PEM_BYTES} bytes`);
  const blocks: PemBlock[] = [];
  let rest = text;
  for (const m of text.matchAll(BLOCK)) {
    blocks.push({ label: m[1] ?? '', der: Buffer.from((m[2] ?? '').replace(/\s+/g, ''), 'base64') });
    rest = rest.replace(m[0], '');
  }
  if (blocks.length === 0) throw new errorClass(`${what}: not PEM (no BEGIN/END block)`);
  if (rest.trim() !== '') throw new errorClass(`${what}: text outside PEM blocks`);
  return blocks;
}

/** Decodes exactly one block labelled `label`. */
export function decodeOnePem(
  text: string,
  label: string,
  what: string,
  errorClass: new (message: string) => Error = InvalidCertificateError,
): Buffer {
  const blocks = decodePem(text, what, errorClass);
  if (blocks.length !== 1) throw new errorClass(`${what}: expected one PEM block, found ${blocks.length}`);
  const [block] = blocks as [PemBlock];
  if (block.label !== label) throw new errorClass(`${what}: expected a "${label}" PEM block, found "${block.label}"`);
  return block.der;
}

/** Encodes DER as PEM with 64-column lines. */
export function encodePem(label: string, der: Uint8Array | ArrayBuffer): string {
  const b64 = Buffer.from(der instanceof ArrayBuffer ? new Uint8Array(der) : der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

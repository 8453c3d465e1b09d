/**
 * The hub's PKI files under `<data-dir>/pki/`: read them if present, write them durably (a power cut
 * leaves the old file or the new one, never half a key), private keys with mode 0600.
 */
import { readFile } from 'node:fs/promises';
import { writeFileDurable } from '../../durable/index.js';

/** Reads a file, or undefined when it does not exist. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Writes a private key (mode 0600). */
export async function writeKey(path: string, pem: string): Promise<void> {
  await writeFileDurable(path, pem, { mode: 0o600 });
}

/** Writes a certificate (public: mode 0644). */
export async function writeCert(path: string, pem: string): Promise<void> {
  await writeFileDurable(path, pem, { mode: 0o644 });
}

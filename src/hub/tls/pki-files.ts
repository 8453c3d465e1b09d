/**
 * The hub's PKI files under `<data-dir>/pki/`: read them if present, write them durably (a power cut
 * leaves the old file or the new one, never half a key), private keys with mode 0600.
 */
import { writeFileDurable } from '../../durable/index.js';

/** Writes a private key (mode 0600). */
export async function writeKey(path: string, pem: string): Promise<void> {
  await writeFileDurable(path, pem, { mode: 0o600 });
}

/** Writes a certificate (public: mode 0644). */
export async function writeCert(path: string, pem: string): Promise<void> {
  await writeFileDurable(path, pem, { mode: 0o644 });
}

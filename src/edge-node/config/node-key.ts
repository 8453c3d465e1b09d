/**
 * The node-local key that seals the ConfigMaps and Secrets kept under the data dir: 32 random bytes in
 * a file of mode 0600, created on the first start. It keeps values out of reach of anything that reads
 * the data dir's files without the key (a `grep`, a backup, a copied SD card image without the key
 * file when the key lives elsewhere: `--config-key-file`).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir } from '../../durable/index.js';

/** Bytes of an AES-256 key. */
export const NODE_KEY_BYTES = 32;

/** The key file could not be read or created, or holds something else than a key. */
export class NodeKeyError extends Error {}

/** Reads the key at `file`, creating it (0600, its directory 0700) when there is none. */
export async function loadOrCreateNodeKey(file: string): Promise<Buffer> {
  try {
    return check(await readFile(file), file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw wrap(err, file);
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(NODE_KEY_BYTES);
  try {
    // `wx`: two starts racing on a fresh data dir cannot each write a key (the agent holds the data
    // dir's lock, but a key file outside it has no such guard).
    const fh = await open(file, 'wx', 0o600);
    try {
      await fh.writeFile(key);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await chmod(file, 0o600);
    await fsyncDir(path.dirname(file));
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return check(await readFile(file), file);
    throw wrap(err, file);
  }
}

function check(bytes: Buffer, file: string): Buffer {
  if (bytes.length !== NODE_KEY_BYTES)
    throw new NodeKeyError(`config key file ${file} holds ${bytes.length} bytes, not a ${NODE_KEY_BYTES}-byte key`);
  return bytes;
}

function wrap(err: unknown, file: string): NodeKeyError {
  return new NodeKeyError(`config key file ${file}: ${(err as Error).message}`, { cause: err });
}

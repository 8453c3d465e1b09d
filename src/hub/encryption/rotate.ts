/**
 * Key rotation on a stopped hub's data dir (`edge-hub rotate-encryption-key`): a fresh key is put
 * first in the keyring (written before any value, so every value stays decryptable whatever
 * happens), then every Secret is re-encrypted with it. Older keys stay in the keyring to decrypt the
 * store's watch history unless `dropOldKeys` removes them once every Secret is rewritten.
 *
 * Why offline: the hub holds the data dir's lock, so a running hub refuses it; the keyring has one
 * writer and every value is rewritten from one consistent view, with no admin endpoint that could hand
 * out key operations over the network. An edge hub restarts in seconds and its nodes keep running
 * their pods meanwhile.
 */
import type { Logger } from '../../api/index.js';
import { acquireDataDirLock } from '../../durable/index.js';
import { openHubStore, keyringPath } from './hub-store.js';
import { Keyring } from './keyring.js';

/** What to rotate. */
export interface RotateOptions {
  dataDir: string;
  /** The hub's `--encryption-key-file`, if it runs with one. */
  keyFile?: string;
  /** Remove every key but the new one after all Secrets are re-encrypted. */
  dropOldKeys?: boolean;
  logger: Logger;
}

/** The outcome of a rotation (names and counts only). */
export interface RotateResult {
  keyName: string;
  rewritten: number;
  unchanged: number;
  droppedKeys: string[];
}

/** Rotates the encryption key of the stopped hub on `opts.dataDir`. */
export async function rotateEncryptionKey(opts: RotateOptions): Promise<RotateResult> {
  const lock = acquireDataDirLock(opts.dataDir, { program: 'edge-hub rotate-encryption-key' });
  try {
    const path = keyringPath(opts.dataDir, opts.keyFile);
    const next = (await Keyring.load(path)).withNewPrimary();
    await next.save(path);
    const store = await openHubStore(opts.dataDir, next, opts.logger);
    let counts;
    try {
      counts = await store.reencrypt();
    } finally {
      await store.close();
    }
    const dropped = opts.dropOldKeys ? next.keys.slice(1).map((k) => k.name) : [];
    if (dropped.length > 0) await new Keyring([next.primary]).save(path);
    return { keyName: next.primary.name, ...counts, droppedKeys: dropped };
  } finally {
    lock.release();
  }
}

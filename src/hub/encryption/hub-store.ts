/**
 * The hub's store as the hub uses it: SQLite in the data dir behind the encrypting wrapper, so every
 * Secret is encrypted at rest. The keyring is `--encryption-key-file` when given (it must exist), else
 * `<data dir>/encryption.keys`, created 0600 with one fresh key on first start.
 */
import { join } from 'node:path';
import type { Logger } from '../../api/index.js';
import { SqliteStore, type SqliteStoreOptions } from '../store/index.js';
import { EncryptingStore } from './encrypting-store.js';
import { Keyring } from './keyring.js';

/** Store keys whose values are encrypted: every Secret. */
export const ENCRYPTED_PREFIXES = ['/registry/secrets/'] as const;

/** The keyring file of a data dir when no `--encryption-key-file` is given. */
export const DEFAULT_KEYRING_FILE = 'encryption.keys';

/** Where the keyring of a hub on `dataDir` is. */
export function keyringPath(dataDir: string, keyFile?: string): string {
  return keyFile ?? join(dataDir, DEFAULT_KEYRING_FILE);
}

/** Reads the hub's keyring; creates the data dir's default one on first start. */
export async function loadHubKeyring(dataDir: string, keyFile: string | undefined, logger: Logger): Promise<Keyring> {
  if (keyFile !== undefined) return Keyring.load(keyFile);
  const path = keyringPath(dataDir);
  const { keyring, created } = await Keyring.loadOrCreate(path);
  if (created)
    logger.info({ path }, 'created the encryption keyring for Secrets at rest (back it up with the data dir)');
  return keyring;
}

/**
 * Opens the hub's SQLite store on `dataDir`, Secrets encrypted with `keyring`. `sqlite` passes on the
 * store's `syncLog` and `onFailure` (sqlite-store.ts).
 */
export async function openHubStore(
  dataDir: string,
  keyring: Keyring,
  logger: Logger,
  sqlite: Pick<SqliteStoreOptions, 'syncLog' | 'onFailure'> = {},
): Promise<EncryptingStore> {
  const store = await SqliteStore.create({ path: join(dataDir, 'state.db'), logger, ...sqlite });
  return new EncryptingStore(store, keyring, { prefixes: ENCRYPTED_PREFIXES, logger });
}

/**
 * The hub's store, opened (hub.ts's first step after the keyring): etcd with `--store etcd`, else
 * SQLite in the data dir; either way Secrets are encrypted above the backend (etcd holds ciphertext
 * too; hubs share one keyring file), and every write is counted for /metrics. On etcd the keyring
 * file is reloaded while the hub runs: an online key rotation (encryption/rotate-online.ts).
 */
import type { Logger } from '../api/index.js';
import {
  EncryptingStore,
  ENCRYPTED_PREFIXES,
  KeyringReloader,
  openHubStore,
  type Keyring,
} from './encryption/index.js';
import type { Runner } from './hub-controllers.js';
import type { HubOptions } from './hub-options.js';
import { InstrumentedStore, type StoreObserver } from './metrics/index.js';
import { EtcdStore } from './store/index.js';

/** The store as each layer sees it. */
export interface HubBackend {
  /** The etcd client, when the hub runs on etcd (the leader election and usage sharing use it). */
  etcd: EtcdStore | undefined;
  /** The encrypting layer (its keyring is reloaded online on etcd). */
  backend: EncryptingStore;
  /** What the registry writes through: the encrypting layer, instrumented. */
  store: InstrumentedStore;
}

/** Opens the hub's store on etcd or SQLite (see the header). */
export async function openHubBackend(
  options: Pick<HubOptions, 'dataDir' | 'store'>,
  keyring: Keyring,
  observer: StoreObserver,
  logger: Logger,
  /** Told when the SQLite store fails for good (etcd's errors pass: its client reconnects). */
  onFailure?: (err: Error) => void,
): Promise<HubBackend> {
  const etcd =
    options.store?.kind === 'etcd'
      ? await EtcdStore.create({
          endpoints: options.store.endpoints,
          tls: options.store.tls,
          keyPrefix: options.store.keyPrefix,
          logger,
        })
      : undefined;
  const backend = etcd
    ? new EncryptingStore(etcd, keyring, { prefixes: ENCRYPTED_PREFIXES, logger })
    : await openHubStore(options.dataDir, keyring, logger, {
        syncLog: options.store?.kind === 'sqlite' ? options.store.syncLog : undefined,
        onFailure,
      });
  return { etcd, backend, store: new InstrumentedStore(backend, observer) };
}

/** The runner that reloads the keyring file at `path` into the store's encryption (used on etcd). */
export function keyringReloader(opened: HubBackend, path: string, logger: Logger): Runner {
  const reloader = new KeyringReloader({ path, store: opened.backend, logger });
  return { start: () => reloader.start(), stop: () => reloader.stop() };
}

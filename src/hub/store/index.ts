/** The hub's storage: the `Store` contract, its embedded SQLite implementation and the etcd one. */
export type { ListRange, ListResult, Store, StoreEvent, StoredValue } from './types.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export type { SqliteDriver } from './sqlite-driver.js';
export {
  EtcdStore,
  EtcdUnavailableError,
  type EtcdMemberHealth,
  type EtcdStoreOptions,
  type EtcdTlsFiles,
} from './etcd/index.js';

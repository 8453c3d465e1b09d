/** The hub's storage: the `Store` contract and its embedded SQLite implementation. */
export type { ListRange, ListResult, Store, StoreEvent, StoredValue } from './types.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export type { SqliteDriver } from './sqlite-driver.js';

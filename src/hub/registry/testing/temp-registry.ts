/**
 * A registry over a SQLite store in a temporary directory: the set-up the registry's own tests and the
 * controllers' test rigs share (a real store, so what a test reads is what the registry wrote). Tests only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { Clock } from '../../../api/index.js';
import { silentLogger } from '../../../platform/index.js';
import { SqliteStore } from '../../store/index.js';
import { ObjectRegistry, type ObjectRegistryDeps } from '../object-registry.js';

/** The clock of a registry test that does not move time: always 2025-01-01T00:00:00Z. */
const FIXED_CLOCK: Clock = { now: () => Date.parse('2025-01-01T00:00:00Z') };

/** Options of `openTempRegistry`. */
export interface TempRegistryOptions {
  /** The prefix of the temporary directory's name. */
  prefix: string;
  /** The registry's clock (default: fixed at 2025-01-01T00:00:00Z). */
  clock?: Clock;
  /** The registry's watch caches (default: the registry's own). */
  watchCache?: ObjectRegistryDeps['watchCache'];
  /** The namespaces that exist before the registry is handed out (default: `default`). */
  namespaces?: readonly string[];
}

/** An open registry on its temporary store. */
export interface TempRegistry {
  readonly store: SqliteStore;
  readonly registry: ObjectRegistry;
  /** The store, clock and logger the registry was built on: for another registry over the same store. */
  readonly deps: Pick<ObjectRegistryDeps, 'store' | 'clock' | 'logger'>;
  /** Closes the registry and the store and removes the directory. */
  close(): Promise<void>;
}

/** Opens a registry on a new SQLite store in a temporary directory, with its namespaces made. */
export async function openTempRegistry(opts: TempRegistryOptions): Promise<TempRegistry> {
  const dir = mkdtempSync(join(tmpdir(), opts.prefix));
  const logger = silentLogger();
  const store = await SqliteStore.create({ path: join(dir, 'hub.db'), logger });
  const deps = { store, clock: opts.clock ?? FIXED_CLOCK, logger };
  const registry = new ObjectRegistry(opts.watchCache === undefined ? deps : { ...deps, watchCache: opts.watchCache });
  for (const ns of opts.namespaces ?? ['default']) await registry.ensureNamespace(ns);
  return {
    store,
    registry,
    deps,
    async close() {
      registry.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Registers (in the calling file or `describe`) a fresh temporary registry for every test: opened before
 * it and handed to `onOpen` (awaited, for the test file's own set-up), closed after it.
 */
export function tempRegistryPerTest(
  opts: TempRegistryOptions,
  onOpen: (temp: TempRegistry) => void | Promise<void>,
): void {
  let temp: TempRegistry | undefined;
  beforeEach(async () => {
    temp = await openTempRegistry(opts);
    await onOpen(temp);
  });
  afterEach(async () => {
    await temp?.close();
    temp = undefined;
  });
}

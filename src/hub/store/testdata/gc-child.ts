/**
 * Child process of the garbage-collection test: opens, uses and closes stores, drops them, then
 * allocates until the garbage collector has run (collecting their connections and statements), and
 * prints `collected`. With better-sqlite3 12 on Node >= 24.19 that collection aborts the process.
 * `better-sqlite3` as the only argument forces that driver (to show the failure by hand).
 */
import { silentLogger } from '../../../platform/index.js';
import { betterSqlite3Driver } from '../better-sqlite3-driver.js';
import { SqliteStore } from '../sqlite-store.js';

const driver = process.argv[2] === 'better-sqlite3' ? betterSqlite3Driver : undefined;
for (let i = 0; i < 20; i++) {
  const store = await SqliteStore.create({ path: ':memory:', logger: silentLogger(), driver });
  await store.create(`/registry/configs/default/a-${i}`, { i });
  await store.update(`/registry/configs/default/a-${i}`, { i, again: true }, 1);
  await store.list('/registry/');
  await store.close();
}
// Young and old generations both: enough short-lived garbage for several scavenges and a full GC.
let kept = 0;
for (let round = 0; round < 4; round++) {
  const garbage: object[] = [];
  for (let j = 0; j < 1_000_000; j++) garbage.push({ j });
  kept += garbage.length;
  await new Promise((resolve) => setImmediate(resolve));
}
process.stdout.write(`collected ${kept}\n`);

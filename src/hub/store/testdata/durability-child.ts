/**
 * Child process of the kill -9 durability test: writes objects, a few at a time so they share group
 * commits, and prints each key once its write has been acknowledged, until it is killed.
 */
import { silentLogger } from '../../../platform/index.js';
import { SqliteStore } from '../sqlite-store.js';

const path = process.argv[2];
if (!path) throw new Error('usage: durability-child <db-path>');
const store = await SqliteStore.create({ path, logger: silentLogger() });
for (let i = 0; ; i += 8) {
  await Promise.all(
    Array.from({ length: 8 }, async (_, j) => {
      const key = `/registry/configs/default/obj-${i + j}`;
      await store.create(key, { i: i + j, payload: 'x'.repeat(200) });
      process.stdout.write(`${key}\n`);
    }),
  );
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { until } from '../../../test/support/cluster.js';
import { silentLogger } from '../../platform/index.js';
import { SqliteStore } from './sqlite-store.js';
import { storeConformance } from './testing/store-conformance.js';

let dir: string;
let n = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'store-conformance-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

storeConformance('SQLite', {
  open: (opts) =>
    SqliteStore.create({ path: join(dir, `case-${n++}.db`), logger: silentLogger(), historyLimit: opts?.historyLimit }),
  until: (what, fn) => until(what, fn, 10_000, 10).then(() => undefined),
});

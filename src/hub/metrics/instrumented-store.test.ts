import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../platform/index.js';
import { SqliteStore } from '../store/index.js';
import { InstrumentedStore } from './instrumented-store.js';

const dir = mkdtempSync(join(tmpdir(), 'instrumented-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('InstrumentedStore', () => {
  it('passes a list range on (paging reads a page, not the collection)', async () => {
    const inner = await SqliteStore.create({ path: join(dir, 'hub.db'), logger: silentLogger() });
    const store = new InstrumentedStore(inner, { request: () => undefined });
    for (const k of ['a', 'b', 'c']) await store.create(`/p/${k}`, { k });
    const page = await store.list('/p/', { after: '/p/a', limit: 1 });
    expect(page.items.map((i) => i.key)).toEqual(['/p/b']);
    expect(page.remaining).toBe(1);
    await inner.close();
  });
});

/**
 * The pieces that make a term end at once: the fenced API refuses writes after the term (reads still
 * pass), term informers stop calling the term's handlers, and terms never overlap. Over a real
 * registry on a SQLite store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigMap } from '../../api/index.js';
import { systemClock, typeByKind } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { until } from '../../../test/support/cluster.js';
import { InformerFactory } from '../informers/index.js';
import { ObjectRegistry } from '../registry/index.js';
import { SqliteStore } from '../store/index.js';
import { LeaderTerm, NotLeaderError, fenceObjectAPI } from './fenced-api.js';
import { LeadershipTerms } from './leader-terms.js';
import { termInformer } from './term-informers.js';

const CONFIG_MAP = typeByKind('v1', 'ConfigMap')!;
const cm = (name: string): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
});

let dir: string;
let store: SqliteStore;
let api: ObjectRegistry;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edge-terms-'));
  store = await SqliteStore.create({ path: join(dir, 'db'), logger: silentLogger() });
  api = new ObjectRegistry({ store, clock: systemClock, logger: silentLogger() });
  await api.ensureNamespace('default');
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a leadership term', () => {
  it('writes through the fence while current, and not one write after it ended', async () => {
    const term = new LeaderTerm();
    const fenced = fenceObjectAPI(api, term);
    const made = await fenced.create<ConfigMap>(CONFIG_MAP, cm('during'));
    term.end();
    await expect(fenced.create(CONFIG_MAP, cm('after'))).rejects.toBeInstanceOf(NotLeaderError);
    await expect(fenced.update(CONFIG_MAP, { ...made, data: { a: '1' } })).rejects.toBeInstanceOf(NotLeaderError);
    await expect(fenced.updateStatus(CONFIG_MAP, made)).rejects.toBeInstanceOf(NotLeaderError);
    await expect(fenced.delete(CONFIG_MAP, 'default', 'during')).rejects.toBeInstanceOf(NotLeaderError);
    // Reads pass; the store holds only what was written during the term.
    expect((await fenced.get<ConfigMap>(CONFIG_MAP, 'default', 'during')).data).toBeUndefined();
    expect((await api.list(CONFIG_MAP, { namespace: 'default' })).items.map((i) => i.metadata.name)).toEqual([
      'during',
    ]);
  });

  it("stops calling the term's informer handlers when it ends, over the same cache", async () => {
    const factory = new InformerFactory(api, silentLogger());
    const shared = factory.for<ConfigMap>('v1', 'ConfigMap');
    await factory.start();
    try {
      const term = new LeaderTerm();
      const view = termInformer(shared, term);
      const seen: string[] = [];
      view.addHandler({ onAdd: (o) => seen.push(o.metadata.name ?? '') });
      await api.create(CONFIG_MAP, cm('one'));
      await until('the handler called', () => seen.includes('one'), 5_000, 10);
      expect(view.get('default', 'one')?.metadata.name).toBe('one');
      term.end();
      await api.create(CONFIG_MAP, cm('two'));
      await until('the shared cache to hold two', () => shared.get('default', 'two') !== undefined, 5_000, 10);
      expect(seen).toEqual(['one']);
      expect(
        view
          .list()
          .map((o) => o.metadata.name)
          .sort(),
      ).toEqual(['one', 'two']);
    } finally {
      factory.stop();
    }
  });

  it('never overlaps two terms: the next starts after the previous stopped', async () => {
    const log: string[] = [];
    let releaseStop: () => void = () => undefined;
    const terms = new LeadershipTerms({
      logger: silentLogger(),
      startTerm: (term) => {
        const n = terms.termsStarted + 1;
        log.push(`start ${n} (current: ${term.current})`);
        return {
          stop: async () => {
            log.push(`stopping ${n}`);
            if (n === 1) await new Promise<void>((r) => (releaseStop = r));
            log.push(`stopped ${n}`);
          },
        };
      },
    });
    terms.lead();
    await until('term 1', () => terms.termsStarted === 1, 5_000, 10);
    terms.follow();
    expect(terms.leading).toBe(false);
    terms.lead();
    expect(terms.leading).toBe(true);
    await until('term 1 stopping', () => log.includes('stopping 1'), 5_000, 10);
    // Term 2 waits for term 1's loops.
    expect(terms.termsStarted).toBe(1);
    releaseStop();
    await until('term 2', () => terms.termsStarted === 2, 5_000, 10);
    await terms.stop();
    expect(log).toEqual([
      'start 1 (current: true)',
      'stopping 1',
      'stopped 1',
      'start 2 (current: true)',
      'stopping 2',
      'stopped 2',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../platform/index.js';
import { WorkQueue } from './workqueue.js';

describe('WorkQueue', () => {
  it('deduplicates waiting keys and never runs one key twice at once', async () => {
    const running = new Set<string>();
    const runs: string[] = [];
    let overlap = false;
    const q = new WorkQueue({
      name: 't',
      workers: 1,
      logger: silentLogger(),
      reconcile: async (key) => {
        if (running.has(key)) overlap = true;
        running.add(key);
        runs.push(key);
        await new Promise((r) => setTimeout(r, 5));
        running.delete(key);
      },
    });
    q.add('a');
    q.add('a'); // 'a' is already running: queued again for after this run
    q.add('b');
    q.add('b');
    await q.idle();
    expect(overlap).toBe(false);
    // 'a' was re-added while processing, so it ran again after; 'b' was deduplicated while waiting.
    expect(runs.filter((k) => k === 'a')).toHaveLength(2);
    expect(runs.filter((k) => k === 'b')).toHaveLength(1);
  });

  it('retries failed keys with back-off until they succeed', async () => {
    let attempts = 0;
    const q = new WorkQueue({
      name: 't',
      workers: 1,
      logger: silentLogger(),
      baseRetryMs: 1,
      reconcile: async () => {
        attempts++;
        if (attempts < 3) throw new Error('not yet');
      },
    });
    q.add('k');
    await new Promise((r) => setTimeout(r, 50));
    await q.idle();
    expect(attempts).toBe(3);
  });
});

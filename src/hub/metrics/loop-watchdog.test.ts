import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { HubMetrics } from './hub-metrics.js';
import { LoopWatchdog } from './loop-watchdog.js';

/** A logger that keeps its warnings (the rest is silent). */
function recordingLogger(): { logger: Logger; warnings: Array<Record<string, unknown>> } {
  const warnings: Array<Record<string, unknown>> = [];
  const base = silentLogger();
  const logger = new Proxy(base, {
    get(target, prop, receiver) {
      if (prop === 'warn') return (obj: Record<string, unknown>) => warnings.push(obj);
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  return { logger, warnings };
}

describe('LoopWatchdog', () => {
  it('warns about a block past the threshold, rate-limited, and counts every block', async () => {
    let now = 0;
    const { logger, warnings } = recordingLogger();
    const metrics = new HubMetrics();
    const dog = new LoopWatchdog({ logger, now: () => now, onBlock: (s) => metrics.loopBlocked(s) });
    dog.start();
    dog.stop();
    now += 100;
    dog.check(); // on time
    now += 150;
    dog.check(); // 50 ms late: below the 200 ms threshold
    expect(warnings).toEqual([]);
    now += 450;
    dog.check(); // 350 ms late
    expect(warnings).toEqual([{ blockedMs: 350 }]);
    now += 1100;
    dog.check(); // 1 s late, within the 10 s rate limit: counted, not logged
    expect(warnings).toHaveLength(1);
    now += 10_000;
    dog.check(); // 9.9 s late: logged, with the suppressed one
    expect(warnings[1]).toEqual({ blockedMs: 9900, moreBlocks: 1, longestOfThoseMs: 1000 });
    const text = (await metrics.render()).text;
    expect(text).toContain('edgeplane_event_loop_blocks_total 3');
    expect(text).toContain('edgeplane_event_loop_longest_block_seconds 9.9');
  });

  it('sees a real synchronous stretch', async () => {
    const { logger, warnings } = recordingLogger();
    const dog = new LoopWatchdog({ logger, intervalMs: 20, thresholdMs: 100 });
    dog.start();
    const until = performance.now() + 250;
    while (performance.now() < until) {
      // hold the loop
    }
    await vi.waitFor(() => expect(warnings.length).toBeGreaterThanOrEqual(1));
    dog.stop();
    expect(warnings[0]?.blockedMs).toBeGreaterThanOrEqual(100);
  });
});

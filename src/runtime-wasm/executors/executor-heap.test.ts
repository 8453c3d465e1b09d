/**
 * An executor worker runs under a V8 heap limit; one that exhausts it (ERR_WORKER_OUT_OF_MEMORY) is
 * lost like a crashed executor — its owners hear why, the agent's thread lives on. Here the limit is
 * made too small for the worker to even load, which is the cheapest way to exhaust it for real.
 */
import { describe, expect, it } from 'vitest';
import { Executor, type ExecutorLoss } from './executor.js';

describe('an executor worker out of heap', () => {
  it('is lost with a reason naming its heap limit, and a normal one still starts', async () => {
    const loss = await new Promise<ExecutorLoss>((resolve) => {
      Executor.start({ dedicated: true, heapMb: 4, onGone: (_e, l) => resolve(l) });
    });
    expect(loss.reason).toBe('executor worker ran out of heap (limit 4 MiB)');
    const gone: string[] = [];
    const ok = Executor.start({ dedicated: true, onGone: (_e, l) => gone.push(l.reason) });
    expect(ok.alive).toBe(true);
    await ok.terminate('test done');
    expect(gone).toHaveLength(1);
    expect(gone[0]).not.toMatch(/heap/);
  });
});

/**
 * The budget's bookkeeping on its own: a container's base slots, growth slots taken and given back,
 * refusals naming the budget, and the default budget of this machine.
 */
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import {
  MemoryBudget,
  WasmMemoryBudgetError,
  defaultMemoryBudgetBytes,
  formatMemory,
  usableMemoryBytes,
} from './memory-budget.js';
import { PoolMemory } from './pool-memory.js';

const MiB = 2 ** 20;

describe('PoolMemory', () => {
  it('holds its base slots, takes one per instance beyond them while the budget allows, and gives back what it no longer uses', () => {
    const budget = new MemoryBudget(64 * MiB);
    const pool = PoolMemory.reserve(budget, 'app', 16 * MiB, 2, silentLogger());
    expect(budget.reserved).toBe(32 * MiB);
    expect(pool.acquire(1)).toBe(true); // within the base
    expect(pool.acquire(2)).toBe(true);
    expect(pool.acquire(3)).toBe(true);
    expect(budget.free).toBe(0);
    expect(pool.acquire(4)).toBe(false);
    expect(pool.slots).toBe(4);
    pool.trim(3);
    expect(budget.reserved).toBe(48 * MiB);
    pool.trim(0); // never below the base
    expect(budget.reserved).toBe(32 * MiB);
    pool.close();
    pool.close();
    expect(budget.reserved).toBe(0);
    expect(pool.acquire(0)).toBe(false);
  });

  it('refuses a container whose base does not fit, naming the budget, and reserves nothing', () => {
    const budget = new MemoryBudget(1.5 * 2 ** 30);
    PoolMemory.reserve(budget, 'a', 512 * MiB, 2, silentLogger());
    const err = (() => {
      try {
        PoolMemory.reserve(budget, 'b', 256 * MiB, 3, silentLogger());
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(WasmMemoryBudgetError);
    expect((err as Error).message).toBe(
      'cannot create container b: Wasm memory needs 768Mi, node budget 1.5Gi has 512Mi free (3 × 256Mi per instance)',
    );
    expect(budget.reserved).toBe(1024 * MiB);
  });

  it('holds an extra instance only while it runs, and refuses one that does not fit with a 503', async () => {
    const budget = new MemoryBudget(32 * MiB);
    const pool = PoolMemory.reserve(budget, 'app', 16 * MiB, 1, silentLogger());
    await expect(pool.extra('exec in container app', () => Promise.resolve(budget.reserved))).resolves.toBe(32 * MiB);
    expect(budget.reserved).toBe(16 * MiB);
    await expect(pool.extra('x', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(budget.reserved).toBe(16 * MiB);
    expect(pool.acquire(1)).toBe(true);
    await expect(pool.extra('exec in container app', () => Promise.resolve(1))).rejects.toThrow(
      ServiceUnavailableError,
    );
    await expect(pool.extra('exec in container app', () => Promise.resolve(1))).rejects.toThrow(
      'cannot exec in container app: Wasm memory needs 16Mi, node budget 32Mi has 0 free',
    );
  });
});

describe('MemoryBudget', () => {
  it('defaults to half of what the agent may use, in whole MiB', () => {
    const usable = usableMemoryBytes();
    expect(usable).toBeLessThanOrEqual(os.totalmem());
    const budget = defaultMemoryBudgetBytes();
    expect(budget % MiB).toBe(0);
    expect(budget).toBeLessThanOrEqual(usable / 2);
    expect(budget).toBeGreaterThan(usable / 2 - MiB);
  });

  it('refuses a budget that is not a positive number of bytes', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => new MemoryBudget(bad)).toThrow(RangeError);
  });

  it('names quantities as Kubernetes writes them', () => {
    expect([128 * MiB, 2 ** 30, 1.5 * 2 ** 30, 0, 3 * 2 ** 10].map(formatMemory)).toEqual([
      '128Mi',
      '1Gi',
      '1.5Gi',
      '0',
      '3Ki',
    ]);
  });
});

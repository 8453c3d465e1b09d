/**
 * The node's Wasm memory: the default limit of a container without one, and the budget over all
 * instances (refused at create, pools that do not grow past it, freed when a container ends), with
 * real jco-transpiled components.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CreateContainerError, ServiceUnavailableError } from '../../api/index.js';
import { WasmMemoryBudgetError } from './memory-budget.js';
import type { startRuntime } from '../testing/runtime-harness.js';
import { containerConfig, nextExit, run, runtimeSuite, send, text, until } from '../testing/runtime-harness.js';

const MiB = 2 ** 20;
const suite = runtimeSuite('budget', { memhog: 'testdata/memhog', countdown: 'countdown' }, 180_000);
let started: Awaited<ReturnType<typeof startRuntime>>;
let rt: (typeof started)['runtime'];

beforeAll(async () => {
  started = await suite.start('data', {
    executors: 1,
    maxInstances: 4,
    defaultMemoryLimitBytes: 8 * MiB,
    memoryBudgetBytes: 24 * MiB,
  });
  rt = started.runtime;
}, 180_000);

const hog = async (limitMiB?: number) =>
  containerConfig(
    await rt.pullImage(suite.refs.memhog),
    suite.dir,
    limitMiB === undefined ? {} : { limits: { memoryBytes: limitMiB * MiB } },
  );

describe('default memory limit', () => {
  it('bounds a container without limits.memory: memhog is OOMKilled at the node default, and its memory goes back to the budget', async () => {
    const cfg = await run(rt, await hog());
    expect(rt.stats.memoryBudget).toEqual({ total: 24 * MiB, reserved: 8 * MiB });
    expect(text(await send(rt, cfg.id, { path: '/?mb=2' }))).toBe('2\n');
    const exited = nextExit(rt, cfg.id);
    const err = await send(rt, cfg.id, { path: '/?mb=16' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    const event = await exited;
    expect(event.status).toMatchObject({ state: 'exited', reason: 'OOMKilled', exitCode: 137 });
    expect(event.status.message).toMatch(new RegExp(`linear memory at its limit \\(\\d+ of ${8 * MiB} bytes\\)`));
    // Ended, not yet removed: its instances are gone, so is its reservation.
    expect(rt.stats.memoryBudget.reserved).toBe(0);
    await rt.removeContainer(cfg.id);
  });
});

describe('memory budget', () => {
  it('refuses a container whose instance does not fit, naming the budget; a container that stops frees its share', async () => {
    const a = await run(rt, await hog(16));
    const b = await hog(16);
    const err = await rt.createContainer(b).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WasmMemoryBudgetError);
    expect(err).toBeInstanceOf(CreateContainerError);
    expect((err as WasmMemoryBudgetError).waitingReason).toBe('WasmMemoryBudgetExceeded');
    expect((err as Error).message).toBe(
      'cannot create container app: Wasm memory needs 16Mi, node budget 24Mi has 8Mi free (1 × 16Mi per instance)',
    );
    expect(rt.stats.memoryBudget.reserved).toBe(16 * MiB);

    await rt.stopContainer(a.id, 1000);
    await rt.removeContainer(a.id);
    expect(rt.stats.memoryBudget.reserved).toBe(0);
    await run(rt, b);
    expect(text(await send(rt, b.id, { path: '/?mb=12' }))).toBe('12\n');
    await rt.removeContainer(b.id);
    expect(rt.stats.memoryBudget.reserved).toBe(0);
  });

  it('does not grow a pool past the budget (requests wait for its instances), and grows it up to the budget once there is room', async () => {
    const big = await run(rt, await hog(16));
    const small = await run(rt, await hog(8));
    expect(rt.stats.memoryBudget.reserved).toBe(24 * MiB);
    // Sent together: all but one queue, and the pool would grow for them.
    const answers = await Promise.all(Array.from({ length: 6 }, () => send(rt, small.id, { path: '/?mb=0' })));
    expect(answers.map(text)).toEqual(Array(6).fill('0\n'));
    expect(rt.instanceCount(small.id)).toBe(1);
    expect(rt.stats.memoryBudget.reserved).toBe(24 * MiB);
    expect(
      started.logs.some((l) =>
        l.includes('wasm instance pool not grown: Wasm memory needs 8Mi, node budget 24Mi has 0 free'),
      ),
    ).toBe(true);

    await rt.removeContainer(big.id);
    await Promise.all(Array.from({ length: 6 }, () => send(rt, small.id, { path: '/?mb=0' })));
    // Room for two more 8Mi instances (not the four maxInstances would allow).
    await until('the pool to grow to the budget', () => rt.instanceCount(small.id) === 3);
    expect(rt.stats.memoryBudget.reserved).toBe(24 * MiB);
    await rt.removeContainer(small.id);
    expect(rt.stats.memoryBudget.reserved).toBe(0);
  });

  it('holds an exec instance in the budget for as long as it runs, and refuses one that does not fit with a 503 naming the budget', async () => {
    const image = await rt.pullImage(suite.refs.countdown);
    const env = { COUNT: '1000', INTERVAL_MS: '100' };
    const big = await run(rt, containerConfig(image, suite.dir, { env, limits: { memoryBytes: 16 * MiB } }));
    const err = await rt.exec(big.id, ['countdown', '1'], { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect((err as Error).message).toBe(
      'cannot exec in container app: Wasm memory needs 16Mi, node budget 24Mi has 8Mi free',
    );
    await rt.removeContainer(big.id);

    // A JS component (StarlingMonkey) starts with 9 MiB: above the 8Mi default, so a limit of its own.
    const small = await run(rt, containerConfig(image, suite.dir, { env, limits: { memoryBytes: 12 * MiB } }));
    await expect(rt.exec(small.id, ['countdown', '1'], { timeoutMs: 10_000 })).resolves.toMatchObject({
      exitCode: 0,
      stdout: 'countdown: 1\n',
    });
    expect(rt.stats.memoryBudget.reserved).toBe(12 * MiB);
    await rt.removeContainer(small.id);
    expect(rt.stats.memoryBudget.reserved).toBe(0);
  });
});

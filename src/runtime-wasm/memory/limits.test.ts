/**
 * Memory limits: the module rewrite itself, and real components that hit their limit (the request
 * fails, the container ends OOMKilled, the executor and its other instances are unharmed).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CreateContainerError, ServiceUnavailableError } from '../../api/index.js';
import { MemoryLimitError, definedMemoryMaxima, limitModuleMemory, limitPages } from './memory-limit.js';
import type { startRuntime } from '../testing/runtime-harness.js';
import { containerConfig, nextExit, run, runtimeSuite, send, text } from '../testing/runtime-harness.js';
import { wasmGlobal } from '../wasm-global.js';

/** A core module that defines one memory (`flags`, `min`, optional `max`) and exports it. */
function moduleWithMemory(min: number, max?: number): Uint8Array {
  const limits = max === undefined ? [0x00, min] : [0x01, min, max];
  const memory = [0x05, limits.length + 1, 0x01, ...limits];
  const exportSection = [0x07, 0x0a, 0x01, 0x06, ...Buffer.from('memory'), 0x02, 0x00];
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...memory, ...exportSection]);
}

describe('limitModuleMemory', () => {
  it('sets or lowers the maximum of defined memories, never raises it', () => {
    expect(definedMemoryMaxima(limitModuleMemory(moduleWithMemory(1), 4))).toEqual([4]);
    expect(definedMemoryMaxima(limitModuleMemory(moduleWithMemory(1, 100), 4))).toEqual([4]);
    expect(definedMemoryMaxima(limitModuleMemory(moduleWithMemory(1, 2), 4))).toEqual([2]);
    expect(limitPages(10 * 65536 + 5)).toBe(10);
  });

  it('keeps the module valid, and V8 refuses to grow past the new maximum', async () => {
    const mod = await wasmGlobal.compile(limitModuleMemory(moduleWithMemory(1), 3));
    const { exports } = await wasmGlobal.instantiate(mod);
    const memory = exports.memory as { grow(pages: number): number; buffer: ArrayBuffer };
    expect(memory.grow(2)).toBe(1);
    expect(() => memory.grow(1)).toThrow(RangeError);
    expect(memory.buffer.byteLength).toBe(3 * 65536);
  });

  it('refuses a limit below the initial memory', () => {
    expect(() => limitModuleMemory(moduleWithMemory(8), 4)).toThrow(MemoryLimitError);
    expect(() => limitModuleMemory(moduleWithMemory(8), 4)).toThrow(
      /initial linear memory \(8 pages.*above the memory limit \(4 pages\)/,
    );
  });
});

const suite = runtimeSuite('limits', { memhog: 'testdata/memhog', 'hello-c': 'hello-c', hello: 'hello' }, 180_000);
let rt: Awaited<ReturnType<typeof startRuntime>>['runtime'];

beforeAll(async () => {
  // One executor: the OOM happens next to the neighbour, which must not notice.
  rt = (await suite.start('data', { executors: 1 })).runtime;
}, 180_000);

describe('limits.memoryBytes', () => {
  it('fails the request that hits it cleanly: the container is OOMKilled, its executor and neighbours are fine', async () => {
    const neighbour = await run(
      rt,
      containerConfig(await rt.pullImage(suite.refs['hello-c']), suite.dir, { env: { POD_NAME: 'neighbour' } }),
    );
    const hog = await run(
      rt,
      containerConfig(await rt.pullImage(suite.refs.memhog), suite.dir, { limits: { memoryBytes: 8 * 1024 * 1024 } }),
    );
    expect(text(await send(rt, hog.id, { path: '/?mb=2' }))).toBe('2\n');
    expect(text(await send(rt, hog.id, { path: '/?mb=3' }))).toBe('5\n');
    const exited = nextExit(rt, hog.id);
    const err = await send(rt, hog.id, { path: '/?mb=16' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    const event = await exited;
    expect(event.status).toMatchObject({ state: 'exited', reason: 'OOMKilled', exitCode: 137 });
    expect(event.status.message).toMatch(/linear memory at its limit/);
    expect(JSON.parse(text(await send(rt, neighbour.id)))).toMatchObject({ pod: 'neighbour' });
    expect(rt.stats.executorReplacements).toBe(0);
    await rt.removeContainer(hog.id);
    await rt.removeContainer(neighbour.id);
  });

  it('within the limit, a component serves as usual', async () => {
    const cfg = await run(
      rt,
      containerConfig(await rt.pullImage(suite.refs.memhog), suite.dir, { limits: { memoryBytes: 64 * 1024 * 1024 } }),
    );
    expect(text(await send(rt, cfg.id, { path: '/?mb=32' }))).toBe('32\n');
    expect(rt.containerStatus(cfg.id)?.state).toBe('running');
    await rt.removeContainer(cfg.id);
  });

  it('below what the component needs at start, is refused at create with a clear message', async () => {
    const cfg = containerConfig(await rt.pullImage(suite.refs.hello), suite.dir, {
      limits: { memoryBytes: 1024 * 1024 },
    });
    const err = await rt.createContainer(cfg).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CreateContainerError);
    expect((err as Error).message).toMatch(
      /memory limit too low: the component's initial linear memory \(\d+ pages of 64 KiB\) is above the memory limit \(16 pages\)/,
    );
  });
});

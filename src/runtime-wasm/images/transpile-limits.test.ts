/**
 * The jco transpile worker is bounded: past its deadline it is terminated, out of heap it dies, and
 * either way the container fails with CreateContainerError naming the bound, the runtime unharmed
 * (the same component transpiles under sane bounds afterwards).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateContainerError } from '../../api/index.js';
import type { WasmRuntime } from '../index.js';
import { addBlob, buildComponent, containerConfig, run, startRuntime } from '../testing/runtime-harness.js';

const blobs = new Map<string, Uint8Array>();
let dir: string;
let echoRef: string;
const runtimes: WasmRuntime[] = [];

beforeAll(() => {
  echoRef = addBlob(blobs, 'echo', buildComponent('testdata/echo'));
  dir = mkdtempSync(join(tmpdir(), 'edgeplane-transpile-limits-'));
}, 300_000);

afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.close()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function refused(opts: Parameters<typeof startRuntime>[2]): Promise<Error> {
  const { runtime: rt } = await startRuntime(join(dir, `data-${runtimes.length}`), blobs, { executors: 1, ...opts });
  runtimes.push(rt);
  const err = await rt.createContainer(containerConfig(await rt.pullImage(echoRef), dir)).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CreateContainerError);
  return err as Error;
}

describe('the transpile worker', () => {
  it('is terminated past its deadline and the container fails naming it', async () => {
    const err = await refused({ transpileTimeoutMs: 1 });
    expect(err.message).toMatch(/: transpile aborted: jco transpile exceeded its deadline of 1 ms$/);
  });

  it('dies out of heap when its heap is too small and the container fails naming the limit', async () => {
    const err = await refused({ transpileHeapMb: 2 });
    expect(err.message).toMatch(
      /: transpile aborted: jco transpile ran out of memory \(its heap is limited to 2 MiB\)$/,
    );
  });

  it('transpiles the same component under the default bounds', async () => {
    const { runtime: rt } = await startRuntime(join(dir, 'data-ok'), blobs, { executors: 1 });
    runtimes.push(rt);
    const c = await run(rt, containerConfig(await rt.pullImage(echoRef), dir));
    expect(rt.containerStatus(c.id)?.state).toBe('running');
  });
});

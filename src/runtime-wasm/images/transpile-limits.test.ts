/**
 * The jco transpile worker is bounded: past its deadline it is terminated, out of heap it dies, and
 * either way the container fails with CreateContainerError naming the bound, the runtime unharmed
 * (the same component transpiles under sane bounds afterwards).
 */
import { describe, expect, it } from 'vitest';
import { CreateContainerError } from '../../api/index.js';
import type { startRuntime } from '../testing/runtime-harness.js';
import { containerConfig, run, runtimeSuite } from '../testing/runtime-harness.js';

const suite = runtimeSuite('transpile-limits', { echo: 'testdata/echo' });

async function refused(opts: Parameters<typeof startRuntime>[2]): Promise<Error> {
  const { runtime: rt } = await suite.start(`data-${suite.runtimes.length}`, { executors: 1, ...opts });
  const err = await rt
    .createContainer(containerConfig(await rt.pullImage(suite.refs.echo), suite.dir))
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CreateContainerError);
  return err as Error;
}

describe('the transpile worker', () => {
  it('is terminated past its deadline and the container fails naming it', async () => {
    const err = await refused({ transpileTimeoutMs: 1 });
    expect(err.message).toMatch(/: transpile aborted: jco transpile exceeded its deadline of 1 ms$/);
  });

  it('dies out of heap when its heap is too small and the container fails naming the limit', async () => {
    // 16 MiB: enough for a worker to start, far too little to transpile. Below ~a few MiB Node 24 cannot
    // even deserialize the worker's startup snapshot and aborts the whole process (Node 20 only the worker).
    const err = await refused({ transpileHeapMb: 16 });
    expect(err.message).toMatch(
      /: transpile aborted: jco transpile ran out of memory \(its heap is limited to 16 MiB\)$/,
    );
  });

  it('transpiles the same component under the default bounds', async () => {
    const { runtime: rt } = await suite.start('data-ok', { executors: 1 });
    const c = await run(rt, containerConfig(await rt.pullImage(suite.refs.echo), suite.dir));
    expect(rt.containerStatus(c.id)?.state).toBe('running');
  });
});

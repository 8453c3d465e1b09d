/**
 * Issue 20, a lean agent: the runtime starts no executor thread before its first container and ends
 * them all when its last container is removed (then starts them again for the next one). Checked on
 * the runtime's counters and on the process's own thread count (/proc), with a real component.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { containerConfig, run, runtimeSuite, send, text, until } from './testing/index.js';

const suite = runtimeSuite('lazy-executors', { 'hello-c': 'hello-c' }, 180_000);

/** Threads of this process, from the kernel (executor workers are threads). */
function osThreads(): number {
  return Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
}

/** The pod name hello-c answers with. */
const podOf = (body: string): string => (JSON.parse(body) as { pod: string }).pod;

describe('executor threads', () => {
  it('start with the first container, end with the last, and start again for the next', async () => {
    const { runtime: rt, logs } = await suite.start('data', { executors: 2, executorIdleReleaseMs: 0 });
    const image = await rt.pullImage(suite.refs['hello-c']);
    expect(rt.stats.executorThreads).toBe(0);
    expect(rt.stats.sharedExecutors).toBe(0);
    const idleThreads = osThreads();

    const a = await run(rt, containerConfig(image, suite.dir, { env: { POD_NAME: 'a' } }));
    const b = await run(rt, containerConfig(image, suite.dir, { env: { POD_NAME: 'b' } }));
    expect(rt.stats.executorThreads).toBe(2);
    expect(podOf(text(await send(rt, a.id)))).toBe('a');
    const busyThreads = osThreads();
    expect(busyThreads).toBeGreaterThanOrEqual(idleThreads + 2);

    // One container left: its executors stay.
    await rt.removeContainer(a.id);
    expect(rt.stats.executorThreads).toBe(2);
    expect(podOf(text(await send(rt, b.id)))).toBe('b');

    await rt.removeContainer(b.id);
    await until('the executor threads to end', () => rt.stats.executorThreads === 0);
    expect(rt.stats.sharedExecutors).toBe(0);
    // The OS threads are gone too (the worker threads exited, not just forgotten).
    await until('the OS threads to end', () => osThreads() <= busyThreads - 2);
    expect(logs.some((l) => l.includes('executor threads ended'))).toBe(true);

    // The next container starts them again and is served as before.
    const c = await run(rt, containerConfig(image, suite.dir, { env: { POD_NAME: 'c' } }));
    expect(rt.stats.executorThreads).toBe(2);
    expect(podOf(text(await send(rt, c.id)))).toBe('c');
    await rt.removeContainer(c.id);
    await until('the executor threads to end again', () => rt.stats.executorThreads === 0);
  });

  it('outlive the last container by the idle grace, so a scale from zero finds them warm', async () => {
    const { runtime: rt, logs } = await suite.start('grace', { executors: 2, executorIdleReleaseMs: 60_000 });
    const image = await rt.pullImage(suite.refs['hello-c']);
    const a = await run(rt, containerConfig(image, suite.dir, { env: { POD_NAME: 'a' } }));
    await rt.removeContainer(a.id);
    expect(logs.some((l) => l.includes('executor threads kept warm'))).toBe(true);
    // Back from zero within the grace: the same threads serve it, none ended or started.
    const b = await run(rt, containerConfig(image, suite.dir, { env: { POD_NAME: 'b' } }));
    expect(rt.stats.executorThreads).toBe(2);
    expect(podOf(text(await send(rt, b.id)))).toBe('b');
    expect(logs.some((l) => l.includes('executor threads ended'))).toBe(false);
    await rt.removeContainer(b.id);
  });

  it('end once the grace has passed with no container', async () => {
    const { runtime: rt } = await suite.start('short-grace', { executors: 2, executorIdleReleaseMs: 300 });
    const image = await rt.pullImage(suite.refs['hello-c']);
    const a = await run(rt, containerConfig(image, suite.dir, { env: { POD_NAME: 'a' } }));
    await rt.removeContainer(a.id);
    await until('the executor threads to end after the grace', () => rt.stats.executorThreads === 0);
  });
});

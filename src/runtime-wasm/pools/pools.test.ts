/**
 * Executors and instance pools with real components: pools grow with concurrency and shrink when
 * idle, a deadline overrun isolates the offending pod while its neighbours are transparently
 * re-created, and compiled modules are reused by a second container.
 */
import { describe, expect, it } from 'vitest';
import { TimeoutError } from '../../api/index.js';
import type { startRuntime } from '../testing/runtime-harness.js';
import { containerConfig, nextExit, run, runtimeSuite, send, text, until } from '../testing/runtime-harness.js';

const suite = runtimeSuite('pools', { 'hello-c': 'hello-c', misbehave: 'misbehave' }, 180_000);

function runtime(opts: Parameters<typeof startRuntime>[2]) {
  return suite.start('data', opts);
}

describe('instance pools', () => {
  it('grow with concurrent requests up to the limit and shrink back when idle', async () => {
    const { runtime: rt } = await runtime({ maxInstances: 4, instanceIdleMs: 1500 });
    const cfg = await run(
      rt,
      containerConfig(await rt.pullImage(suite.refs['hello-c']), suite.dir, { env: { POD_NAME: 'p', NODE_NAME: 'n' } }),
    );
    expect(rt.instanceCount(cfg.id)).toBe(1);
    const answers = await Promise.all(Array.from({ length: 32 }, () => send(rt, cfg.id)));
    expect(answers.map((a) => a.status)).toEqual(new Array(32).fill(200));
    expect(JSON.parse(text(answers[0]!))).toEqual({ message: 'hello from Edgeplane', pod: 'p', node: 'n' });
    // 31 requests found no idle instance: the pool started 3 more (its limit), whether or not the
    // first one drained the queue before they were up.
    await until('the pool to grow to its limit', () => rt.instanceCount(cfg.id) === 4);
    await until('the pool to shrink to one instance', () => rt.instanceCount(cfg.id) === 1);
    expect((await send(rt, cfg.id)).status).toBe(200);
    await rt.removeContainer(cfg.id);
  });

  it('spread one container over the shared executors', async () => {
    const { runtime: rt, logs } = await runtime({ executors: 2, maxInstances: 4 });
    const cfg = await run(rt, containerConfig(await rt.pullImage(suite.refs['hello-c']), suite.dir));
    expect(rt.stats.sharedExecutors).toBe(2);
    await Promise.all(Array.from({ length: 16 }, () => send(rt, cfg.id)));
    await until('four instances', () => rt.instanceCount(cfg.id) === 4);
    expect(rt.stats.instancesPerExecutor).toEqual([2, 2]);
    expect(logs.filter((l) => l.includes('shared wasm executor replaced'))).toEqual([]);
    await rt.removeContainer(cfg.id);
  });
});

describe('a request that overruns its deadline', () => {
  it('ends its container, isolates its pod, and only re-creates the neighbours sharing its executor', async () => {
    // The looping pod has its own short deadline (edgeplane.io/request-timeout); the neighbour keeps the
    // node's 30 s, so on a loaded machine its requests are not held to the looper's 1 s.
    const { runtime: rt, events } = await runtime({ executors: 1, requestTimeoutMs: 30_000 });
    const looper = await run(rt, {
      ...containerConfig(await rt.pullImage(suite.refs.misbehave), suite.dir),
      requestTimeoutMs: 1000,
    });
    const neighbour = await run(
      rt,
      containerConfig(await rt.pullImage(suite.refs['hello-c']), suite.dir, { env: { POD_NAME: 'neighbour' } }),
    );
    const exited = nextExit(rt, looper.id);
    const looping = send(rt, looper.id, { path: '/loop' }).catch((e: unknown) => e);
    // Queued behind the spinning guest on the one executor: retried once its executor is replaced.
    const queued = send(rt, neighbour.id);
    expect(await looping).toBeInstanceOf(TimeoutError);
    expect((await exited).status).toMatchObject({ state: 'exited', reason: 'DeadlineExceeded', exitCode: 137 });
    expect((await queued).status).toBe(200);
    expect(JSON.parse(text(await send(rt, neighbour.id)))).toMatchObject({ pod: 'neighbour' });
    expect(rt.containerStatus(neighbour.id)?.state).toBe('running');
    expect(events.filter((e) => e.status.id === neighbour.id)).toEqual([]);
    expect(rt.stats).toMatchObject({ executorReplacements: 1, isolatedPods: 1 });

    // The pod's next container runs on an executor of its own: spinning again leaves the shared one alone.
    // 3 s this time: the neighbour must answer while it spins, which a loaded machine may not do in 1 s.
    const again = await run(rt, {
      ...containerConfig(await rt.pullImage(suite.refs.misbehave), suite.dir, { pod: looper.pod }),
      requestTimeoutMs: 3000,
    });
    const order: string[] = [];
    const loopingAgain = send(rt, again.id, { path: '/loop' }).catch((e: unknown) => {
      order.push('looper');
      return e;
    });
    await send(rt, neighbour.id).then(() => order.push('neighbour'));
    expect(await loopingAgain).toBeInstanceOf(TimeoutError);
    expect(order).toEqual(['neighbour', 'looper']);
    expect(rt.stats.executorReplacements).toBe(1);
    await rt.removeContainer(neighbour.id);
  });
});

describe('a stalled executor', () => {
  it('gives back the requests queued behind a spinning guest, so neighbours do not wait for its deadline', async () => {
    const { runtime: rt } = await runtime({ executors: 2, maxInstances: 4, requestTimeoutMs: 4000, stallMs: 100 });
    const neighbour = await run(rt, containerConfig(await rt.pullImage(suite.refs['hello-c']), suite.dir));
    await Promise.all(Array.from({ length: 16 }, () => send(rt, neighbour.id)));
    await until('neighbour instances on both executors', () => rt.stats.instancesPerExecutor.every((n) => n >= 2));
    const looper = await run(rt, containerConfig(await rt.pullImage(suite.refs.misbehave), suite.dir));
    let loopDone = false;
    const looping = send(rt, looper.id, { path: '/loop' })
      .catch((e: unknown) => e)
      .finally(() => (loopDone = true));
    // Bursts keep instances on both executors busy; those queued behind the loop are withdrawn.
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all(Array.from({ length: 8 }, () => send(rt, neighbour.id, { timeoutMs: 30_000 })));
      expect(answers.every((a) => a.status === 200)).toBe(true);
    }
    expect(loopDone).toBe(false);
    expect(await looping).toBeInstanceOf(TimeoutError);
    await rt.removeContainer(neighbour.id);
  });
});

describe('module cache', () => {
  it('transpiles and compiles a component once: a second container only instantiates', async () => {
    const { runtime: rt, logs } = await runtime({});
    const image = await rt.pullImage(suite.refs['hello-c']);
    const a = await run(rt, containerConfig(image, suite.dir, { env: { POD_NAME: 'a' } }));
    const b = await run(rt, containerConfig(image, suite.dir, { env: { POD_NAME: 'b' } }));
    expect(JSON.parse(text(await send(rt, b.id)))).toMatchObject({ pod: 'b' });
    const about = (msg: string) => logs.filter((l) => l.includes(image.digest) && l.includes(`"msg":"${msg}"`));
    expect(about('transpiled component').length).toBeLessThanOrEqual(1); // 0 when an earlier test transpiled it
    expect(about('compiled core modules')).toHaveLength(1);
    // A memory limit needs its own compile, once per limit.
    const limited = { limits: { memoryBytes: 32 * 1024 * 1024 } };
    const c = await run(rt, containerConfig(image, suite.dir, limited));
    const d = await run(rt, containerConfig(image, suite.dir, limited));
    expect((await send(rt, d.id)).status).toBe(200);
    expect(about('compiled core modules')).toHaveLength(2);
    for (const cfg of [a, b, c, d]) await rt.removeContainer(cfg.id);
  });
});

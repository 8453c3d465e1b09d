/**
 * `containerUsage` of real guests: hello-c's guest time grows with the requests it serves and stays
 * within the wall time they took; memhog's memory follows its linear memory, plus the documented
 * per-instance overhead.
 */
import { describe, expect, it } from 'vitest';
import { containerConfig, run, runtimeSuite, send } from '../testing/runtime-harness.js';
import { INSTANCE_OVERHEAD_BYTES } from './guest-usage.js';

const suite = runtimeSuite('usage', { hello: 'hello-c', memhog: 'testdata/memhog' });

describe('WasmRuntime.containerUsage', () => {
  it('reports guest execution time that grows with the requests served, within their wall time', async () => {
    const { runtime } = await suite.start('cpu', { executors: 1 });
    const c = await run(runtime, containerConfig(await runtime.pullImage(suite.refs.hello), suite.dir));
    const first = (await runtime.containerUsage(c.id))!;
    // Instantiation is guest work too.
    expect(first.cpuUsageNanoSeconds).toBeGreaterThan(0);
    const started = performance.now();
    for (let i = 0; i < 200; i++) expect((await send(runtime, c.id)).status).toBe(200);
    const wallNs = (performance.now() - started) * 1e6;
    const after = (await runtime.containerUsage(c.id))!;
    const used = after.cpuUsageNanoSeconds - first.cpuUsageNanoSeconds;
    expect(used).toBeGreaterThan(0);
    // One executor: the guest cannot have run longer than the requests took.
    expect(used).toBeLessThan(wallNs);
    expect(after.memoryWorkingSetBytes).toBeGreaterThanOrEqual(INSTANCE_OVERHEAD_BYTES + 65536);
    expect(await runtime.containerUsage('no-such-container')).toBeUndefined();
    await runtime.stopContainer(c.id, 1000);
    expect(await runtime.containerUsage(c.id)).toBeUndefined();
  });

  it('reports the linear memory its instances grew to, plus the per-instance overhead', async () => {
    const { runtime } = await suite.start('memory', { executors: 1 });
    const c = await run(
      runtime,
      containerConfig(await runtime.pullImage(suite.refs.memhog), suite.dir, { limits: { memoryBytes: 64 << 20 } }),
    );
    const before = (await runtime.containerUsage(c.id))!;
    expect((await send(runtime, c.id, { path: '/?mb=8' })).status).toBe(200);
    const after = (await runtime.containerUsage(c.id))!;
    expect(after.memoryWorkingSetBytes - before.memoryWorkingSetBytes).toBeGreaterThanOrEqual(8 << 20);
    expect(runtime.instanceCount(c.id)).toBeGreaterThan(0);
    expect(after.memoryWorkingSetBytes).toBeGreaterThanOrEqual(runtime.instanceCount(c.id) * INSTANCE_OVERHEAD_BYTES);
  });
});

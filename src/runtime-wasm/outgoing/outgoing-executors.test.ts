/**
 * Outgoing HTTP and the executors, with real components: a guest waiting for an outgoing call blocks
 * its executor, so the requests it waits for (a callee on the same runtime) must run elsewhere —
 * under concurrency, in chains, when the callee hangs, and when the caller's executor is killed.
 * Under more concurrency than there are executors, callers waiting for outgoing calls must never take
 * the executors their callees need (admission.ts): excess requests wait in their pod's queue, and none
 * is refused.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ServiceUnavailableError, type WorkloadResponse } from '../../api/index.js';
import { json, never, startMeshRuntime } from '../testing/mesh-harness.js';
import { containerConfig, run, runtimeSuite, send, text, until } from '../testing/runtime-harness.js';

const suite = runtimeSuite('outgoing-exec', {
  caller: 'testdata/caller',
  echo: 'testdata/echo',
  misbehave: 'misbehave',
});

async function mesh(opts: Parameters<typeof startMeshRuntime>[2]) {
  const m = await startMeshRuntime(join(suite.dir, 'data'), suite.blobs, opts);
  suite.runtimes.push(m.runtime);
  const rt = m.runtime;
  const start = async (service: string, ref: string) => {
    const cfg = await run(rt, containerConfig(await rt.pullImage(ref), suite.dir, { name: service }));
    m.services.set(service, cfg.id);
    return cfg;
  };
  return { ...m, rt, start };
}

const outcome = (p: Promise<WorkloadResponse>) =>
  p.then(
    (r) => ({ status: r.status, doc: json(r) }),
    (err: unknown) => ({ err }),
  );

describe('executors blocked in outgoing calls', () => {
  it('serve 16 concurrent requests to a caller whose callee is on the same runtime (executors=2), and chains of three', async () => {
    const { rt, start } = await mesh({ executors: 2, requestTimeoutMs: 30_000, overflowIdleMs: 1000 });
    await start('echo', suite.refs.echo);
    const front = await start('front', suite.refs.caller);
    await start('mid', suite.refs.caller);
    const direct = await Promise.all(
      Array.from({ length: 16 }, (_, i) => send(rt, front.id, { path: `/call?url=http://echo/d${i}` })),
    );
    expect(direct.map((r) => (r.status === 200 ? 200 : text(r)))).toEqual(new Array(16).fill(200));
    expect(direct.map((r) => (json(r).body as string).split('\n')[1])).toEqual(
      Array.from({ length: 16 }, (_, i) => `path: /d${i}`),
    );
    // front → mid → echo: two executors blocked per request in flight.
    const chain = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        send(rt, front.id, { path: `/call?url=http://mid/call%3Furl%3Dhttp://echo/c${i}` }),
      ),
    );
    expect(chain.map((r) => (r.status === 200 ? 200 : text(r)))).toEqual(new Array(16).fill(200));
    expect(chain.map((r) => (JSON.parse(json(r).body as string) as { status: number }).status)).toEqual(
      new Array(16).fill(201),
    );
    expect(rt.stats).toMatchObject({ executorReplacements: 0, isolatedPods: 0, pendingOutgoingCalls: 0 });
    expect(rt.stats.overflowStarts).toBeGreaterThan(0);
    // Overflow executors retire once idle; the pods go on being served by the fixed ones.
    await until('overflow executors to retire', () => rt.stats.overflowExecutors === 0, 15_000);
    expect(json(await send(rt, front.id, { path: '/call?url=http://echo/after' })).status).toBe(201);
  });

  it('keep serving the caller pod while one of its requests waits for a slow callee', async () => {
    const { rt, start, special } = await mesh({ executors: 2 });
    await start('echo', suite.refs.echo);
    const front = await start('front', suite.refs.caller);
    // The slow callee answers only when released: the other requests must all finish while it waits,
    // which no executor queued behind the waiting instance could do. No clock in the assertion.
    let release = (): void => undefined;
    const released = new Promise<void>((r) => (release = r));
    special.set('slow', async () => {
      await released;
      return { status: 200, headers: [], body: new TextEncoder().encode('slow') };
    });
    const slow = send(rt, front.id, { path: '/call?url=http://slow/', timeoutMs: 60_000 });
    await until('the slow call to be pending', () => rt.stats.pendingOutgoingCalls === 1, 30_000);
    // Neither held back as a runaway nor queued behind the waiting instance.
    for (let i = 0; i < 5; i++)
      expect(json(await send(rt, front.id, { path: '/call?url=http://echo/' })).status).toBe(201);
    // Waiting is not computing: its executor is not taken for stalled (its priority stays). An absence
    // cannot be polled for: watch several stall-watchdog periods go by.
    await new Promise((r) => setTimeout(r, 300));
    expect(rt.stats).toMatchObject({ pendingOutgoingCalls: 1, stalledExecutors: 0 });
    release();
    expect(json(await slow).body).toBe('slow');
  });

  it('give the caller its deadline when the callee hangs, and stay healthy', async () => {
    const { rt, start, special } = await mesh({ executors: 2 });
    await start('echo', suite.refs.echo);
    const looper = await start('looper', suite.refs.misbehave);
    const front = await start('front', suite.refs.caller);
    special.set('hang', never);
    // Both warm first: the deadlines below are about the calls, not about instantiating a component on
    // a loaded machine (a looper still queued at its deadline would never spin, nor be ended).
    expect(json(await send(rt, front.id, { path: '/call?url=http://echo/' })).status).toBe(201);
    expect((await send(rt, looper.id, { path: '/' })).status).toBe(200);
    // A Wasm callee that spins: it overruns (and is killed and isolated); the caller is not.
    // (No wall-clock bound here: on a loaded 2-core CI machine the two 1.5 s deadlines took 7 s in all.
    // That the deadline answered is what the outcomes below show: a TimeoutError or the guest's 502.)
    const spun = await outcome(send(rt, front.id, { path: '/call?url=http://looper/loop', timeoutMs: 1500 }));
    // A handler that never answers: the call fails at the caller's deadline.
    const hung = await outcome(send(rt, front.id, { path: '/call?url=http://hang/', timeoutMs: 1500 }));
    for (const o of [spun, hung]) {
      // Either the deadline answered first (504), or the guest's answer to connection-timeout did.
      if ('err' in o) expect(String(o.err)).toMatch(/^TimeoutError: upstream timed out/);
      else expect(o).toMatchObject({ status: 502 });
    }
    // The caller's deadline can answer before the looper's own overrun is handled (the watchdog, then
    // the executor's end): wait for it rather than assume the order.
    await until(
      'the looper to be ended at its deadline and isolated',
      () => rt.containerStatus(looper.id)?.reason === 'DeadlineExceeded' && rt.stats.isolatedPods === 1,
      30_000,
    );
    expect(rt.containerStatus(looper.id)).toMatchObject({ state: 'exited', reason: 'DeadlineExceeded' });
    expect(rt.containerStatus(front.id)?.state).toBe('running');
    await until('no outgoing call pending', () => rt.stats.pendingOutgoingCalls === 0, 30_000);
    expect(rt.stats).toMatchObject({ isolatedPods: 1, pendingOutgoingCalls: 0 });
    expect(json(await send(rt, front.id, { path: '/call?url=http://echo/' })).status).toBe(201);
  }, 120_000); // three components to start first: at load 20 that alone took 50 s

  it('forget the calls of an executor killed while its guest waits', async () => {
    const { rt, start, special } = await mesh({ executors: 1 });
    const echo = await start('echo', suite.refs.echo);
    const front = await start('front', suite.refs.caller);
    let answer: () => void = () => undefined;
    special.set(
      'later',
      () => new Promise((resolve) => (answer = () => resolve({ status: 200, headers: [], body: new Uint8Array() }))),
    );
    const waiting = outcome(send(rt, front.id, { path: '/call?url=http://later/' }));
    await until('the call to be pending', () => rt.stats.pendingOutgoingCalls === 1, 30_000);
    await rt.removeContainer(front.id); // ends it: its running request's executor is terminated
    expect(await waiting).toMatchObject({ err: expect.any(ServiceUnavailableError) as unknown });
    expect(rt.stats.pendingOutgoingCalls).toBe(0);
    answer(); // the handler's late answer goes nowhere
    await until('the shared executor to be replaced', () => rt.stats.executorReplacements === 1, 30_000);
    const again = await run(rt, containerConfig(await rt.pullImage(suite.refs.caller), suite.dir));
    expect(json(await send(rt, again.id, { path: '/call?url=http://echo/' })).status).toBe(201);
    expect(rt.containerStatus(echo.id)?.state).toBe('running');
  });

  it('run the ends of a first burst of chains when callers took every executor: rescue executors, one at a time', async () => {
    // Deterministic form of a CI flake: callers took every executor up to maxExecutors before admission
    // had seen anything call out, so the ends of their chains could run nowhere, and the nested
    // requests waiting for them were refused. Here the cold burst takes both executors allowed at once.
    const { rt, start, logs } = await mesh({ executors: 2, maxExecutors: 2, requestTimeoutMs: 30_000 });
    await start('echo', suite.refs.echo);
    const front = await start('front', suite.refs.caller);
    await start('mid', suite.refs.caller);
    await start('mid2', suite.refs.caller);
    const hops = {
      three: (i: number) => `/call?url=http://mid/call%3Furl%3Dhttp://echo/c${i}`,
      four: (i: number) => `/call?url=http://mid/call%3Furl%3Dhttp://mid2/call%253Furl%253Dhttp://echo/f${i}`,
    };
    for (const [chain, n] of [
      ['three', 8],
      ['four', 4],
    ] as const) {
      const res = await Promise.all(Array.from({ length: n }, (_, i) => send(rt, front.id, { path: hops[chain](i) })));
      // Every level answered, and echo's 201 came back up through each (none refused).
      const docs = res.map((r) => (r.status === 200 ? JSON.stringify(json(r)) : text(r)));
      expect({ chain, refused: docs.filter((d) => d.includes('no wasm executor')) }).toEqual({ chain, refused: [] });
      expect({ chain, unanswered: docs.filter((d) => !d.includes('201')) }).toEqual({ chain, unanswered: [] });
    }
    expect(rt.stats).toMatchObject({ executorReplacements: 0, pendingOutgoingCalls: 0, overflowStarts: 0 });
    expect(rt.stats.rescueStarts).toBeGreaterThan(0);
    // Never more than `executors` rescue executors at once; each ends with its one request.
    const started = logs.filter((l) => l.includes('started a rescue executor'));
    expect(started.length).toBe(rt.stats.rescueStarts);
    expect(started.filter((l) => !/"rescue":[12],"max":2/.test(l))).toEqual([]);
    await until('rescue executors to end', () => rt.stats.rescueExecutors === 0, 15_000);
  }, 120_000);

  it('end a service calling itself quickly with an error instead of a hang', async () => {
    const { rt, start, seen } = await mesh({ executors: 2, maxExecutors: 3, requestTimeoutMs: 20_000 });
    const self = await start('self', suite.refs.caller);
    const t = Date.now();
    const res = await send(rt, self.id, { path: '/recurse?host=self' });
    // Not a hang: answered before the 20 s request deadline (a functional bound, not a speed goal).
    expect(Date.now() - t).toBeLessThan(20_000);
    // Three levels hold the three executors, two more the two rescue executors (one per fixed
    // executor); the sixth is refused, and each level reports what it got.
    expect(seen).toHaveLength(5);
    expect(rt.stats.rescueStarts).toBe(2);
    expect(JSON.stringify(json(res))).toContain('no wasm executor can take it');
    await until('every call to be answered', () => rt.stats.pendingOutgoingCalls === 0);
    expect(rt.containerStatus(self.id)?.state).toBe('running');
  });
});

describe('same-runtime call chains at concurrency 32 (executors=2)', () => {
  const n = 32;
  for (const [label, path] of [
    ['depth 2: front → echo', (i: number) => `/call?url=http://echo/d${i}`],
    ['depth 3: front → mid → echo', (i: number) => `/call?url=http://mid/call%3Furl%3Dhttp://echo/c${i}`],
  ] as const) {
    it(`${label}: every request answered, none refused, cold and then warm`, async () => {
      const { rt, start } = await mesh({ executors: 2, requestTimeoutMs: 30_000 });
      await start('echo', suite.refs.echo);
      const front = await start('front', suite.refs.caller);
      await start('mid', suite.refs.caller);
      // Cold (no pod seen calling out yet), then again warm.
      for (let round = 0; round < 2; round++) {
        const res = await Promise.all(Array.from({ length: n }, (_, i) => send(rt, front.id, { path: path(i) })));
        expect(res.map((r) => (r.status === 200 ? 200 : text(r)))).toEqual(new Array(n).fill(200));
        // No level was refused, and echo's answer (201) came back up through every one.
        const docs = res.map((r) => JSON.stringify(json(r)));
        expect(docs.filter((d) => d.includes('no wasm executor'))).toEqual([]);
        expect(docs.filter((d) => !d.includes('201'))).toEqual([]);
      }
      expect(rt.stats).toMatchObject({ executorReplacements: 0, pendingOutgoingCalls: 0 });
    }, 60_000);
  }
});

/**
 * Outgoing HTTP from Wasm guests, with real components: testdata/caller (JavaScript,
 * componentize-js, wasi:http/outgoing-handler used directly and synchronously) and testdata/fetcher
 * (fetch() from an async handler) call through a mesh-like handler (testing/mesh-harness.ts) that
 * delivers in-process to testdata/echo, a container of the same runtime that answers with what it got.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutgoingHttpError } from '../../api/index.js';
import type { WorkloadResponse } from '../../api/index.js';
import type { WasmRuntime } from '../index.js';
import { json, never, startMeshRuntime } from '../testing/mesh-harness.js';
import { containerConfig, run, runtimeSuite, send, text, until } from '../testing/runtime-harness.js';

const suite = runtimeSuite('outgoing', {
  caller: 'testdata/caller',
  echo: 'testdata/echo',
  fetcher: 'testdata/fetcher',
});

/** A mesh runtime with echo registered as `echo` and a caller (container name `front`) started. */
async function setup(opts: Parameters<typeof startMeshRuntime>[2] = {}, image = () => suite.refs.caller) {
  const mesh = await startMeshRuntime(
    join(suite.dir, `data-${suite.runtimes.length}`),
    suite.blobs,
    { executors: 2, ...opts },
    suite.transpiled,
  );
  suite.runtimes.push(mesh.runtime);
  const rt = mesh.runtime;
  mesh.services.set('echo', (await run(rt, containerConfig(await rt.pullImage(suite.refs.echo), suite.dir))).id);
  const caller = await run(rt, containerConfig(await rt.pullImage(image()), suite.dir, { name: 'front' }));
  return { ...mesh, rt, caller };
}

const call = (
  rt: WasmRuntime,
  id: string,
  path: string,
  more: Parameters<typeof send>[2] = {},
): Promise<WorkloadResponse> => send(rt, id, { path, ...more });

describe('a guest calling out with wasi:http/outgoing-handler', () => {
  it('reaches another container through the handler, with its pod identity, and gets its whole answer', async () => {
    const { rt, caller, seen } = await setup();
    const res = await call(rt, caller.id, '/call?url=http://echo:8080/items?x=1', { headers: [['x-trace', 'abc']] });
    expect(res.status).toBe(200);
    const doc = json(res);
    expect(doc.status).toBe(201);
    expect(doc.body).toBe(
      'method: GET\npath: /items?x=1\nscheme: http\nauthority: echo:8080\nh: x-trace=abc\nbody: \n',
    );
    expect(doc.headers).toEqual([
      ['content-type', 'text/plain'],
      ['x-echo-method', 'GET'],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ]);
    expect(doc.readyAfterBlock).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.caller).toEqual({ ...caller.pod, container: 'front' });
    expect(seen[0]!.req).toMatchObject({
      method: 'GET',
      scheme: 'http',
      authority: 'echo:8080',
      path: '/items?x=1',
      headers: [['x-trace', 'abc']],
    });
    expect(rt.stats.pendingOutgoingCalls).toBe(0);
  });

  it('sends a request body written after handle() once it is finished, and reads a large answer', async () => {
    const { rt, caller, seen } = await setup();
    const big = new Uint8Array(300_000).map((_, i) => 97 + (i % 26));
    const res = await call(rt, caller.id, '/call?url=http://echo/upload', { method: 'POST', body: big });
    const doc = json(res);
    expect(doc.status).toBe(201);
    const body = doc.body as string;
    expect(body.startsWith('method: POST\npath: /upload\n')).toBe(true);
    expect(body.slice(body.indexOf('body: ') + 6, -1)).toBe(Buffer.from(big).toString('latin1'));
    expect(Buffer.compare(Buffer.from(seen[0]!.req.body), Buffer.from(big))).toBe(0);
  });

  it('waits with block(), with wasi:io/poll over the response and a clock, and with two calls in flight', async () => {
    const { rt, caller, special } = await setup();
    // /a and /b each answer only once both have arrived: a guest that waited for one call before
    // sending the other would never be answered (no clock in the assertion).
    const pairArrived = new Set<string>();
    let bothArrived = (): void => undefined;
    const pairReady = new Promise<void>((r) => (bothArrived = r));
    special.set('slow', async (_c, req) => {
      if (req.path === '/a' || req.path === '/b') {
        pairArrived.add(req.path);
        if (pairArrived.size === 2) bothArrived();
        await pairReady;
      } else await new Promise((r) => setTimeout(r, 150));
      return { status: 200, headers: [], body: new TextEncoder().encode(`slow ${req.path}`) };
    });
    // Not ready (and get() is none) before the guest waits; ready after block().
    const blocked = json(await call(rt, caller.id, '/call?url=http://slow/c'));
    expect(blocked).toMatchObject({
      status: 200,
      body: 'slow /c',
      readyBeforeBlock: false,
      noneBeforeBlock: true,
      readyAfterBlock: true,
    });
    expect(json(await call(rt, caller.id, '/poll?url=http://slow/p'))).toMatchObject({ status: 200, body: 'slow /p' });
    const pair = json(await call(rt, caller.id, '/pair?url=http://slow/a&url=http://slow/b'));
    expect(pair.bodies).toEqual(['slow /a', 'slow /b']); // both waited at once, not one after the other
  });

  it('maps the handler refusals to wasi:http error codes the guest can report', async () => {
    const { rt, caller, special } = await setup();
    const fail = (err: Error) => () => Promise.reject(err);
    special.set('dns', fail(new OutgoingHttpError('dns', 'no such service')));
    special.set('refused', fail(new OutgoingHttpError('connection-refused', 'no ready endpoint')));
    special.set('late', fail(new OutgoingHttpError('timeout', 'too slow')));
    special.set('broken', fail(new OutgoingHttpError('internal', 'mesh table corrupt')));
    special.set('plain', fail(new Error('plain failure')));
    special.set('throws', () => {
      throw new Error('thrown at once');
    });
    special.set('odd', () => Promise.resolve({ status: 42, headers: [], body: new Uint8Array() }));
    const errorOf = async (host: string) => {
      const res = await call(rt, caller.id, `/call?url=http://${host}/`);
      expect(res.status).toBe(502);
      return json(res);
    };
    expect(await errorOf('nowhere')).toMatchObject({ error: 'HTTP-request-denied' });
    expect(await errorOf('dns')).toMatchObject({ error: 'DNS-error' });
    expect(await errorOf('refused')).toMatchObject({ error: 'connection-refused' });
    expect(await errorOf('late')).toMatchObject({ error: 'connection-timeout' });
    expect(await errorOf('broken')).toMatchObject({ error: 'internal-error', message: 'mesh table corrupt' });
    expect(await errorOf('plain')).toMatchObject({ error: 'internal-error', message: 'plain failure' });
    expect(await errorOf('throws')).toMatchObject({ error: 'internal-error', message: 'thrown at once' });
    expect(await errorOf('odd')).toMatchObject({
      error: 'internal-error',
      message: expect.stringMatching(/invalid status 42/) as unknown,
    });
    expect(rt.containerStatus(caller.id)?.state).toBe('running');
  });

  it('is denied when the runtime has no outgoing handler', async () => {
    const { runtime: rt } = await suite.start('data-none', { executors: 1 });
    const caller = await run(rt, containerConfig(await rt.pullImage(suite.refs.caller), suite.dir));
    const res = await call(rt, caller.id, '/call?url=http://echo/');
    expect(json(res)).toMatchObject({ error: 'HTTP-request-denied' });
  });

  it('bounds a call by the smaller of its request-options and its request deadline', async () => {
    const { rt, caller, special, seen } = await setup();
    special.set('hang', never);
    await call(rt, caller.id, '/call?url=http://echo/&timeoutMs=300');
    await call(rt, caller.id, '/call?url=http://echo/', { timeoutMs: 3000 });
    await call(rt, caller.id, '/call?url=http://echo/&timeoutMs=60000', { timeoutMs: 3000 });
    const bounds = seen.map((s) => s.req.timeoutMs!);
    expect(bounds[0]).toBeGreaterThan(200);
    expect(bounds[0]).toBeLessThanOrEqual(300);
    for (const b of bounds.slice(1)) {
      expect(b).toBeGreaterThan(2000);
      expect(b).toBeLessThanOrEqual(3000);
    }
    // A handler that never answers: the guest gets connection-timeout at the bound, nothing leaks.
    const started = Date.now();
    expect(json(await call(rt, caller.id, '/call?url=http://hang/&timeoutMs=300'))).toMatchObject({
      error: 'connection-timeout',
    });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(rt.stats.pendingOutgoingCalls).toBe(0);
  });

  it('takes a guest timeout past what a timer holds as no bound beyond the default (it must not fire at once)', async () => {
    const { rt, caller, special, seen } = await setup();
    special.set(
      'slow',
      () =>
        new Promise((resolve) => setTimeout(() => resolve({ status: 203, headers: [], body: new Uint8Array() }), 50)),
    );
    // 2^31 ms overflows setTimeout (it would fire after 1 ms); 10^13 ms is 10^19 ns, past 2^63 (a
    // negative i64 once lowered).
    for (const ms of [2 ** 31, 1e13]) {
      expect(json(await call(rt, caller.id, `/call?url=http://slow/&timeoutMs=${ms}`))).toMatchObject({ status: 203 });
    }
    for (const s of seen) expect(s.req.timeoutMs).toBeLessThanOrEqual(2 ** 31 - 1);
    expect(rt.stats.pendingOutgoingCalls).toBe(0);
  });

  it('forgets a call whose future the guest dropped', async () => {
    const { rt, caller, special } = await setup();
    let answer: () => void = () => undefined;
    special.set(
      'later',
      () => new Promise((resolve) => (answer = () => resolve({ status: 200, headers: [], body: new Uint8Array() }))),
    );
    expect(text(await call(rt, caller.id, '/forget?url=http://later/'))).toBe('forgot\n');
    await until('the dropped call to be forgotten', () => rt.stats.pendingOutgoingCalls === 0);
    answer(); // too late: goes nowhere
    expect(json(await call(rt, caller.id, '/call?url=http://echo/'))).toMatchObject({ status: 201 });
  });
});

describe('fetch() in a JavaScript component', () => {
  it('works from an async incoming handler: bodies both ways, calls in parallel, refusals as errors', async () => {
    const { rt, caller: fetcher, seen } = await setup({}, () => suite.refs.fetcher);
    const posted = json(
      await call(rt, fetcher.id, '/fetch?url=http://echo/x', {
        method: 'POST',
        body: new TextEncoder().encode('posted'),
      }),
    );
    expect(posted.status).toBe(201);
    expect(posted.body).toMatch(/^method: POST\npath: \/x\n[^]*h: x-via=fetcher\n[^]*body: posted\n$/);
    expect(seen[0]!.req.headers).toContainEqual(['x-via', 'fetcher']);
    const both = json(await call(rt, fetcher.id, '/all?url=http://echo/a&url=http://echo/b'));
    expect((both.bodies as string[]).map((b) => b.split('\n')[1])).toEqual(['path: /a', 'path: /b']);
    // StarlingMonkey turns every wasi:http error code into one generic fetch error.
    const denied = await call(rt, fetcher.id, '/fetch?url=http://nowhere/');
    expect(denied.status).toBe(502);
    expect(json(denied).error).toMatch(/NetworkError/);
  });
});

/**
 * The host side of `wasi:http` against a real C guest (testdata/echo, hand-written canonical ABI):
 * request method/path/scheme/authority, headers (bytes, repeated names), a body read in chunks, and
 * a response with repeated headers written in several pieces.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { startRuntime } from '../testing/runtime-harness.js';
import { containerConfig, run, runtimeSuite, send, text } from '../testing/runtime-harness.js';

const suite = runtimeSuite('http-host', { echo: 'testdata/echo' }, 180_000);
let rt: Awaited<ReturnType<typeof startRuntime>>['runtime'];
let id: string;

beforeAll(async () => {
  rt = (await suite.start('data', { executors: 1 })).runtime;
  id = (await run(rt, containerConfig(await rt.pullImage(suite.refs.echo), suite.dir))).id;
}, 180_000);

describe('wasi:http host', () => {
  it('hands the guest the whole request and returns its whole response', async () => {
    const res = await send(rt, id, {
      method: 'POST',
      path: '/submit?x=1&y=%20',
      authority: 'echo.default:8080',
      scheme: 'https',
      headers: [
        ['content-type', 'text/plain'],
        ['x-many', 'one'],
        ['x-many', 'two'],
      ],
      body: new TextEncoder().encode('hello body'),
    });
    expect(res.status).toBe(201);
    expect(res.headers).toEqual([
      ['content-type', 'text/plain'],
      ['x-echo-method', 'POST'],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ]);
    expect(text(res)).toBe(
      [
        'method: POST',
        'path: /submit?x=1&y=%20',
        'scheme: https',
        'authority: echo.default:8080',
        'h: content-type=text/plain',
        'h: x-many=one',
        'h: x-many=two',
        'body: hello body',
        '',
      ].join('\n'),
    );
  });

  it('passes methods outside the WIT list as other(string), and an empty body as empty', async () => {
    const res = await send(rt, id, { method: 'PROPFIND', path: '/', headers: [] });
    expect(text(res)).toMatch(/^method: PROPFIND\npath: \/\nscheme: http\nauthority: app.local\nbody: \n$/);
    expect(res.headers).toContainEqual(['x-echo-method', 'PROPFIND']);
  });

  it('keeps header values as bytes (latin1) and streams a large body through in chunks', async () => {
    const big = new Uint8Array(200_000).map((_, i) => 97 + (i % 26));
    const res = await send(rt, id, { method: 'PUT', headers: [['x-latin', 'caf\u00e9']], body: big });
    const body = res.body;
    const marker = new TextEncoder().encode('h: x-latin=caf');
    const at = Buffer.from(body).indexOf(Buffer.from(marker));
    expect(at).toBeGreaterThan(0);
    expect(body[at + marker.length]).toBe(0xe9);
    const tail = Buffer.from(body).subarray(Buffer.from(body).indexOf('body: ') + 6, body.length - 1);
    expect(Buffer.compare(tail, Buffer.from(big))).toBe(0);
  });

  it("gives a sent body's bytes back to the instance's host-bytes budget (300 MiB echoed through one instance, budget 256 MiB)", async () => {
    const mib = new Uint8Array(1024 * 1024).fill(120);
    for (let i = 0; i < 300; i++) {
      const res = await send(rt, id, { method: 'POST', path: `/big/${i}`, body: mib });
      expect(res.status).toBe(201);
      expect(res.body.byteLength).toBeGreaterThan(mib.byteLength);
    }
    expect(rt.instanceCount(id)).toBe(1);
  }, 120_000);

  it('serves request after request on the same instance', async () => {
    for (let i = 0; i < 200; i++) expect((await send(rt, id, { path: `/n/${i}` })).status).toBe(201);
    expect(rt.instanceCount(id)).toBe(1);
  });
});

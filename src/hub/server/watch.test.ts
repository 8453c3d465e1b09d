import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ObjectList, Pod } from '../../api/index.js';
import { createHarness, testPod, readJson, readLines, readStatus, type Harness } from './testdata/harness.js';

const PODS = '/api/v1/namespaces/default/pods';
const pod = testPod;

let h: Harness;
afterEach(() => h.close());

describe('watch', () => {
  it('sends current state, then changes, filtered by selector', async () => {
    h = await createHarness();
    await h.req('POST', PODS, pod('a'));
    await h.req('POST', PODS, pod('other', { app: 'db' }));
    const res = await h.req('GET', `${PODS}?watch=true&labelSelector=app%3Dweb`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    await h.req('POST', PODS, pod('b'));
    await h.req('DELETE', `${PODS}/a`);
    const lines = await readLines(res, 3);
    expect(lines.map((l) => `${l.type} ${l.object.metadata.name}`)).toEqual(['ADDED a', 'ADDED b', 'DELETED a']);
  });

  it('resumes from a resourceVersion', async () => {
    h = await createHarness();
    const a = await readJson<Pod>(await h.req('POST', PODS, pod('a')));
    await h.req('POST', PODS, pod('b'));
    await h.req('PUT', `${PODS}/a`, pod('a', { app: 'web', v: '2' }));
    const res = await h.req('GET', `${PODS}?watch=1&resourceVersion=${a.metadata.resourceVersion}`);
    const lines = await readLines(res, 2);
    expect(lines.map((l) => `${l.type} ${l.object.metadata.name}`)).toEqual(['ADDED b', 'MODIFIED a']);
    expect(Number(lines[1]?.object.metadata.resourceVersion)).toBeGreaterThan(
      Number(lines[0]?.object.metadata.resourceVersion),
    );
  });

  it('answers 410 Gone for a compacted resourceVersion', async () => {
    h = await createHarness({ historyLimit: 5 });
    for (let i = 0; i < 20; i++) await h.req('POST', PODS, pod(`p${i}`));
    const res = await h.req('GET', `${PODS}?watch=true&resourceVersion=2`);
    expect(res.status).toBe(410);
    expect(await readStatus(res)).toMatchObject({ kind: 'Status', reason: 'Gone', code: 410 });
    expect((await h.req('GET', `${PODS}?watch=true&resourceVersion=abc`)).status).toBe(400);
  });

  it('sends bookmarks on idle watches', async () => {
    h = await createHarness({ bookmarkMs: 50 });
    const list = await readJson<ObjectList<Pod>>(await h.req('GET', PODS));
    const res = await h.req('GET', `${PODS}?watch=true&resourceVersion=${list.metadata.resourceVersion}`);
    const [line] = await readLines(res, 1);
    expect(line).toEqual({
      type: 'BOOKMARK',
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { resourceVersion: list.metadata.resourceVersion } },
    });
  });

  it('ends the watch when an HTTP client disconnects', async () => {
    h = await createHarness();
    const server = serve({ fetch: h.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as AddressInfo;
    try {
      // The app's own RBAC informers watch too: count this client's watch on top of them.
      const before = h.api.watchStats.watchers;
      const ac = new AbortController();
      const res = await fetch(`http://127.0.0.1:${port}${PODS}?watch=true`, {
        headers: { authorization: `Bearer ${h.auth.adminToken}` },
        signal: ac.signal,
      });
      expect(res.status).toBe(200);
      await h.req('POST', PODS, pod('a'));
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toContain('"ADDED"');
      expect(h.api.watchStats.watchers).toBe(before + 1);
      ac.abort();
      // The abort reaches the server on a later turn: poll (1 s was too short for a loaded machine).
      await vi.waitFor(() => expect(h.api.watchStats.watchers).toBe(before), { timeout: 15_000, interval: 20 });
    } finally {
      server.close();
    }
  });
});

describe('single-object watch and followed logs', () => {
  it('watches one object by URL', async () => {
    h = await createHarness();
    await h.req('POST', PODS, pod('a'));
    await h.req('POST', PODS, pod('b'));
    const res = await h.req('GET', `${PODS}/b?watch=true`);
    await h.req('DELETE', `${PODS}/a`);
    await h.req('DELETE', `${PODS}/b`);
    const lines = await readLines(res, 2);
    expect(lines.map((l) => `${l.type} ${l.object.metadata.name}`)).toEqual(['ADDED b', 'DELETED b']);
  });

  it('follows logs until the client goes away', async () => {
    h = await createHarness();
    await h.req('POST', PODS, pod('a'));
    const res = await h.req('GET', `${PODS}/a/log?follow=true`);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('line 3')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text).toContain('default/a line 1');
  });
});

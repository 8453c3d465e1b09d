/* Drives the API app's streaming upgrade over a real loopback HTTP server and a real WebSocket client. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { typeByKind } from '../../../api/index.js';
import { silentLogger } from '../../../platform/index.js';
import { TokenAuth, startStandaloneRbac } from '../../auth/index.js';
import { BlobStore } from '../../blobs/index.js';
import { ObjectRegistry } from '../../registry/index.js';
import { SqliteStore } from '../../store/index.js';
import { createApiApp } from '../app.js';
import { StreamLimiter } from '../stream-limits.js';
import { fakeLogs } from '../testdata/harness.js';
import type { PodExecOptions, PodExecSource, PodLogOptions, PodLogSource } from '../types.js';
import { PodStreamUpgrades } from './stream-upgrades.js';

const VIEWER_TOKEN = 'viewer-token-0123456789abcdef';
const EXEC = '/api/v1/namespaces/default/pods/a/exec';

let dir: string;
let store: SqliteStore;
let auth: TokenAuth;
let server: Server;
let streams: PodStreamUpgrades;
let stopRbac: () => void;
let base: string;
// The node side (the gateway in the hub): records what reached it and answers as the command did.
const reached: PodExecOptions[] = [];
const exec: PodExecSource = {
  exec(_ns, _pod, opts) {
    reached.push(opts);
    const arg = opts.command[1] ?? '';
    if (opts.command[0] === 'fail') return Promise.reject(new Error('container main is not running'));
    if (opts.command[0] === 'big') return Promise.resolve({ exitCode: 0, stdout: 'x'.repeat(100_000), stderr: '' });
    return Promise.resolve({ exitCode: Number(arg || 0), stdout: `out ${arg}\n`, stderr: `err ${arg}\n` });
  },
};

// Where attach reads: the fake pod log, recording what was asked and whether the follow was ended.
const attached: { opts: PodLogOptions; aborted: boolean }[] = [];
const attachLogs: PodLogSource = {
  async *stream(namespace, pod, opts, signal) {
    const rec = { opts, aborted: false };
    attached.push(rec);
    signal.addEventListener('abort', () => (rec.aborted = true), { once: true });
    yield* fakeLogs.stream(namespace, pod, opts, signal);
  },
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stream-upgrades-'));
  const logger = silentLogger();
  await writeFile(
    join(dir, 'tokens.json'),
    JSON.stringify({ users: [{ name: 'viewer', token: VIEWER_TOKEN, role: 'read-only' }] }),
  );
  store = await SqliteStore.create({ path: join(dir, 'hub.db'), logger });
  const api = new ObjectRegistry({ store, clock: { now: () => Date.now() }, logger });
  await api.ensureNamespace('default');
  auth = await TokenAuth.create({ dataDir: dir, logger });
  const blobs = await BlobStore.create({ dir: join(dir, 'blobs'), maxBytes: 1024 * 1024 });
  const rbac = await startStandaloneRbac(api, logger);
  stopRbac = rbac.stop;
  const app = createApiApp({ api, auth, rbac, blobs, logs: fakeLogs, exec, logger, version: { gitVersion: 'v0' } });
  await api.create(typeByKind('v1', 'Pod')!, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'a', namespace: 'default' },
    spec: { containers: [{ name: 'main', image: 'hello.wasm' }] },
  });
  server = createAdaptorServer({ fetch: app.fetch }) as Server;
  streams = new PodStreamUpgrades({ fetch: app.fetch, exec, logs: attachLogs, logger });
  server.on('upgrade', (req, socket, head) =>
    streams.handles(req) ? streams.upgrade(req, socket, head) : socket.destroy(),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  streams.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  stopRbac();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

interface Session {
  protocol: string;
  frames: { channel: number; text: string }[];
  closeCode: number;
}

/** Opens an exec stream as client-go does and collects every message until the server closes. */
function openStream(query: string, opts: { token?: string; protocols?: string[] } = {}): Promise<Session> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base}${EXEC}?${query}`, opts.protocols ?? ['v5.channel.k8s.io'], {
      headers: { authorization: `Bearer ${opts.token ?? auth.adminToken}` },
    });
    const frames: Session['frames'] = [];
    ws.on('message', (data: Buffer) => frames.push({ channel: data[0] ?? -1, text: data.subarray(1).toString() }));
    ws.on('close', (closeCode) => resolve({ protocol: ws.protocol, frames, closeCode }));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => reject(Object.assign(new Error(body), { status: res.statusCode, body })));
    });
    ws.on('error', reject);
  });
}

async function refusal(query: string, opts: { token?: string; protocols?: string[] } = {}) {
  const err = (await openStream(query, opts).then(
    () => undefined,
    (e: unknown) => e,
  )) as { status: number; body: string } | undefined;
  expect(err, 'the upgrade was refused').toBeDefined();
  return { status: err!.status, body: JSON.parse(err!.body) as { reason: string; message: string } };
}

describe('exec over the v5 channel protocol', () => {
  it('streams stdout, stderr and a Success status, then closes normally', async () => {
    const s = await openStream('command=echo&command=0&stdout=true&stderr=true');
    expect(s.protocol).toBe('v5.channel.k8s.io');
    expect(s.frames).toEqual([
      { channel: 1, text: 'out 0\n' },
      { channel: 2, text: 'err 0\n' },
      { channel: 3, text: JSON.stringify({ metadata: {}, status: 'Success' }) },
    ]);
    expect(s.closeCode).toBe(1000);
    expect(reached.at(-1)).toMatchObject({ command: ['echo', '0'] });
  });

  it('reports a non-zero exit as NonZeroExitCode with the ExitCode cause; leaves out channels not asked for', async () => {
    const s = await openStream('command=sh&command=7&stdout=true&stderr=false', { protocols: ['v4.channel.k8s.io'] });
    expect(s.protocol).toBe('v4.channel.k8s.io');
    expect(s.frames.map((f) => f.channel)).toEqual([1, 3]);
    expect(JSON.parse(s.frames[1]!.text)).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '7' }] },
    });
  });

  it('passes the container and reports a command that could not run as a Failure with its message', async () => {
    const s = await openStream('command=fail&container=main&stdout=true&stderr=true');
    expect(reached.at(-1)).toMatchObject({ command: ['fail'], container: 'main' });
    expect(s.frames).toHaveLength(1);
    expect(JSON.parse(s.frames[0]!.text)).toMatchObject({
      status: 'Failure',
      message: 'container main is not running',
    });
  });

  it('splits large output into bounded messages that add up to all of it', async () => {
    const s = await openStream('command=big&stdout=true');
    const out = s.frames.filter((f) => f.channel === 1);
    expect(out.length).toBeGreaterThan(1);
    expect(Math.max(...out.map((f) => f.text.length))).toBeLessThanOrEqual(32 * 1024);
    expect(out.map((f) => f.text).join('')).toBe('x'.repeat(100_000));
  });
});

describe('refused upgrades answer with a Status and run nothing', () => {
  it('403 for a caller who may not create pods/exec, without the token in the answer', async () => {
    const before = reached.length;
    const r = await refusal('command=id&stdout=true', { token: VIEWER_TOKEN });
    expect(r.status).toBe(403);
    expect(r.body.reason).toBe('Forbidden');
    expect(r.body.message).not.toContain(VIEWER_TOKEN);
    expect(reached.length).toBe(before);
  });

  it('401 without credentials, 404 for a missing pod, 400 for a bad container or no command', async () => {
    expect((await refusal('command=id', { token: 'nope' })).status).toBe(401);
    const missing = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${base}/api/v1/namespaces/default/pods/zz/exec?command=id`, ['v5.channel.k8s.io'], {
        headers: { authorization: `Bearer ${auth.adminToken}` },
      });
      ws.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => undefined);
    });
    expect(missing).toBe(404);
    expect((await refusal('command=id&container=other')).body.message).toBe('container other is not valid for pod a');
    expect((await refusal('stdout=true')).status).toBe(400);
  });

  it('400 naming what is served, for stdin/tty (not yet), unknown sub-protocols', async () => {
    expect((await refusal('command=sh&stdin=true')).body.message).toContain('stdin or a tty');
    // Pod a runs Wasm: -t is refused before anything else (its commands never have a terminal).
    const tty = await refusal('command=sh&tty=true');
    expect(tty.status).toBe(400);
    expect(tty.body.message).toContain('pod a runs Wasm, whose commands have no terminal (-t)');
    const r = await refusal('command=sh', { protocols: ['channel.k8s.io'] });
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('v5.channel.k8s.io');
  });
});

describe('the SPDY retry kubectl makes after a refused WebSocket', () => {
  /** A POST with `Upgrade: SPDY/3.1`, as client-go's fallback sends it; resolves with the answer. */
  const spdy = (query: string): Promise<{ status: number; body: { message: string } }> =>
    new Promise((resolve, reject) => {
      const r = request(`${base.replace('ws:', 'http:')}${EXEC}?${query}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${auth.adminToken}`,
          connection: 'Upgrade',
          upgrade: 'SPDY/3.1',
          'x-stream-protocol-version': 'v4.channel.k8s.io',
        },
      });
      r.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as { message: string } }));
      });
      r.on('upgrade', () => reject(new Error('SPDY must not be upgraded')));
      r.on('error', reject);
      r.end();
    });

  it('is refused with the request’s own fault first, else with what is served', async () => {
    expect((await spdy('command=id&container=nope')).body.message).toBe('container nope is not valid for pod a');
    const r = await spdy('command=id');
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('SPDY/3.1');
    expect(r.body.message).toContain('v5.channel.k8s.io');
  });
});

describe('attach (no stdin, no tty)', () => {
  it('streams the container’s output from now on, until the client leaves (which ends the follow)', async () => {
    const ws = new WebSocket(
      `${base}/api/v1/namespaces/default/pods/a/attach?container=main&stdout=true&stderr=true`,
      ['v5.channel.k8s.io'],
      { headers: { authorization: `Bearer ${auth.adminToken}` } },
    );
    const frames: { channel: number; text: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (data: Buffer) => {
        frames.push({ channel: data[0] ?? -1, text: data.subarray(1).toString() });
        if (frames.length === 3) resolve();
      });
      ws.on('error', reject);
    });
    expect(frames).toEqual([
      { channel: 1, text: 'default/a line 1\n' },
      { channel: 1, text: 'main line 2\n' },
      { channel: 1, text: 'tail=0 line 3\n' },
    ]);
    expect(attached.at(-1)?.opts).toEqual({ follow: true, tailLines: 0, container: 'main' });
    ws.close();
    await new Promise((resolve) => setTimeout(resolve, 0));
    await until(() => attached.at(-1)?.aborted === true);
  });

  it('is refused with -i/-t to a container without stdin/tty (a Wasm one here), and as a plain request', async () => {
    const ws = new WebSocket(`${base}/api/v1/namespaces/default/pods/a/attach?stdin=true`, ['v5.channel.k8s.io'], {
      headers: { authorization: `Bearer ${auth.adminToken}` },
    });
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(400);
    const plain = await fetch(`${base.replace('ws:', 'http:')}/api/v1/namespaces/default/pods/a/attach`, {
      method: 'POST',
      headers: { authorization: `Bearer ${auth.adminToken}` },
    });
    expect(plain.status).toBe(400);
  });
});

/** Polls `cond` (the server side runs on its own turn of the event loop). */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(cond()).toBe(true);
}

describe('port-forward upgrades', () => {
  const PF = '/api/v1/namespaces/default/pods/a/portforward';
  /** The status and Status reason of a refused port-forward WebSocket. */
  const refusedWith = (path: string, protocols: string[], token = auth.adminToken) =>
    new Promise<{ http: number; reason: string; message: string }>((resolve, reject) => {
      // Set as a header: the ws client refuses the '/' in kubectl's sub-protocol name; gorilla sends it.
      const ws = new WebSocket(`${base}${path}`, {
        headers: { authorization: `Bearer ${token}`, 'sec-websocket-protocol': protocols.join(', ') },
      });
      ws.on('open', () => reject(new Error('upgraded')));
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          resolve({ ...(JSON.parse(body) as { reason: string; message: string }), http: res.statusCode ?? 0 }),
        );
      });
      ws.on('error', () => undefined);
    });

  it('are authorised as create pods/portforward and validated before anything is upgraded', async () => {
    expect(await refusedWith(PF, ['SPDY/3.1+portforward.k8s.io'], VIEWER_TOKEN)).toMatchObject({ http: 403 });
    expect(await refusedWith(PF.replace('/a/', '/nope/'), ['SPDY/3.1+portforward.k8s.io'])).toMatchObject({
      http: 404,
    });
    const noProtocol = await refusedWith(PF, ['v5.channel.k8s.io']);
    expect(noProtocol).toMatchObject({ http: 400 });
    expect(noProtocol.message).toContain('SPDY/3.1+portforward.k8s.io');
    // A hub built without node streams says so (kubectl then tries SPDY, which gets the same answer).
    const noStreams = await refusedWith(PF, ['SPDY/3.1+portforward.k8s.io']);
    expect(noStreams).toMatchObject({ http: 400 });
    expect(noStreams.message).toContain('port-forward needs node streams');
  });

  it('a plain request (no upgrade) is a 400 naming the upgrades served', async () => {
    const res = await fetch(`${base.replace('ws:', 'http:')}${PF}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${auth.adminToken}` },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('port-forward is served only as an upgrade');
  });
});

describe('per-user limit on exec/attach/port-forward streams', () => {
  it('holds a slot while the upgraded connection lives, 429 naming the limit past it, freed on close', async () => {
    const logger = silentLogger();
    const api = new ObjectRegistry({ store, clock: { now: () => Date.now() }, logger });
    const rbac = await startStandaloneRbac(api, logger);
    const blobs = await BlobStore.create({ dir: join(dir, 'blobs-limit'), maxBytes: 1024 * 1024 });
    const app = createApiApp({
      api,
      auth,
      rbac,
      blobs,
      logs: fakeLogs,
      exec,
      logger,
      version: { gitVersion: 'v0' },
      streamLimits: new StreamLimiter({ podStreamsPerUser: 1 }),
    });
    const limited = createAdaptorServer({ fetch: app.fetch }) as Server;
    const upgrades = new PodStreamUpgrades({ fetch: app.fetch, exec, logs: attachLogs, logger });
    limited.on('upgrade', (req, socket, head) => upgrades.upgrade(req, socket, head));
    await new Promise<void>((resolve) => limited.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(limited.address() as AddressInfo).port}/api/v1/namespaces/default/pods/a/attach?stdout=true`;
    const open = () =>
      new Promise<{ ws: WebSocket } | { status: number; body: string }>((resolve, reject) => {
        const ws = new WebSocket(url, ['v5.channel.k8s.io'], {
          headers: { authorization: `Bearer ${auth.adminToken}` },
        });
        ws.on('open', () => resolve({ ws }));
        ws.on('unexpected-response', (_q, res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        ws.on('error', reject);
      });
    try {
      // A refused upgrade (bad container) takes the slot only while it is answered.
      const bad = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`${url}&container=nope`, ['v5.channel.k8s.io'], {
          headers: { authorization: `Bearer ${auth.adminToken}` },
        });
        ws.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => undefined);
      });
      expect(bad).toBe(400);
      let first = await open();
      for (let i = 0; i < 200 && !('ws' in first); i++) {
        await new Promise((r) => setTimeout(r, 10)); // the refused one's socket closes on its own turn
        first = await open();
      }
      expect('ws' in first).toBe(true);
      const second = await open();
      expect(second).toMatchObject({ status: 429 });
      const status = JSON.parse((second as { body: string }).body) as { reason: string; message: string };
      expect(status.reason).toBe('TooManyRequests');
      expect(status.message).toContain('too many concurrent exec, attach and port-forward streams for user "admin"');
      expect(status.message).toContain('--max-pod-streams-per-user');
      (first as { ws: WebSocket }).ws.close();
      // Freed once the first connection closed (server side, on its own turn).
      let third = await open();
      for (let i = 0; i < 200 && !('ws' in third); i++) {
        await new Promise((r) => setTimeout(r, 10));
        third = await open();
      }
      expect('ws' in third).toBe(true);
      (third as { ws: WebSocket }).ws.close();
    } finally {
      upgrades.close();
      await new Promise<void>((resolve) => limited.close(() => resolve()));
      rbac.stop();
    }
  });
});

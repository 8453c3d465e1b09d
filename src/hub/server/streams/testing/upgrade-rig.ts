/**
 * The rig of the pod-stream upgrade tests (`streams/stream-upgrades-*.test.ts`): the API app with its
 * streaming upgrades on a real loopback HTTP server, a pod `a` (one Wasm container, main) in `default`,
 * an admin and a read-only viewer, a fake node side that records what reached it, and WebSocket clients
 * as client-go opens them.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { afterAll, beforeAll, expect } from 'vitest';
import { WebSocket } from 'ws';
import { typeByKind } from '../../../../api/index.js';
import { silentLogger } from '../../../../platform/index.js';
import { TokenAuth, startStandaloneRbac } from '../../../auth/index.js';
import { BlobStore } from '../../../blobs/index.js';
import { ObjectRegistry } from '../../../registry/index.js';
import { SqliteStore } from '../../../store/index.js';
import { createApiApp } from '../../app.js';
import type { StreamLimiter } from '../../stream-limits.js';
import { fakeLogs } from '../../testdata/harness.js';
import type { PodExecOptions, PodExecSource, PodLogOptions, PodLogSource } from '../../types.js';
import { PodStreamUpgrades } from '../stream-upgrades.js';

/** The token of `viewer`, whose role is read-only. */
export const VIEWER_TOKEN = 'viewer-token-0123456789abcdef';
/** The exec path of pod `a`. */
export const EXEC = '/api/v1/namespaces/default/pods/a/exec';

/** An exec stream as the client saw it: the sub-protocol, every message (channel, text) and the close code. */
export interface Session {
  protocol: string;
  frames: { channel: number; text: string }[];
  closeCode: number;
}

/** A server of the app and its upgrades on loopback. */
export interface UpgradeServer {
  /** `ws://127.0.0.1:PORT`. */
  base: string;
  close(): Promise<void>;
}

/** The rig of one test file, usable from its tests on (it starts in `beforeAll`). */
export interface UpgradeRig {
  /** The main server's `ws://127.0.0.1:PORT`. */
  readonly base: string;
  readonly auth: TokenAuth;
  /** Every exec that reached the node side, oldest first. */
  readonly reached: PodExecOptions[];
  /** Every log follow attach opened on the node side, and whether it was ended. */
  readonly attached: { opts: PodLogOptions; aborted: boolean }[];
  /** Opens an exec stream to pod `a` as client-go does and collects every message until the server closes. */
  openStream(query: string, opts?: { token?: string; protocols?: string[] }): Promise<Session>;
  /** Opens an exec stream that must be refused; the HTTP status and the Status it answered. */
  refusal(
    query: string,
    opts?: { token?: string; protocols?: string[] },
  ): Promise<{ status: number; body: { reason: string; message: string } }>;
  /** The HTTP status of a refused v5 WebSocket upgrade to `url`, as admin. */
  refusedStatus(url: string): Promise<number>;
  /** Another server on the same store and node side: its own registry, RBAC, blob dir and `streamLimits`. */
  serve(opts: { streamLimits?: StreamLimiter }): Promise<UpgradeServer>;
}

/** Registers the file's `beforeAll` (start the main server) and `afterAll`; call at the top level of a test file. */
export function upgradeRig(): UpgradeRig {
  let dir: string | undefined;
  let store: SqliteStore | undefined;
  let auth: TokenAuth | undefined;
  let main: UpgradeServer | undefined;
  let served = 0;
  const logger = silentLogger();
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
  const attached: UpgradeRig['attached'] = [];
  const attachLogs: PodLogSource = {
    async *stream(namespace, pod, opts, signal) {
      const rec = { opts, aborted: false };
      attached.push(rec);
      signal.addEventListener('abort', () => (rec.aborted = true), { once: true });
      yield* fakeLogs.stream(namespace, pod, opts, signal);
    },
  };

  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the upgrade rig starts in beforeAll');
    return value;
  };

  async function serve(opts: { api?: ObjectRegistry; streamLimits?: StreamLimiter }): Promise<UpgradeServer> {
    const api = opts.api ?? new ObjectRegistry({ store: started(store), clock: { now: () => Date.now() }, logger });
    const blobs = await BlobStore.create({ dir: join(started(dir), `blobs-${served++}`), maxBytes: 1024 * 1024 });
    const rbac = await startStandaloneRbac(api, logger);
    const app = createApiApp({
      api,
      auth: started(auth),
      rbac,
      blobs,
      logs: fakeLogs,
      exec,
      logger,
      version: { gitVersion: 'v0' },
      ...(opts.streamLimits ? { streamLimits: opts.streamLimits } : {}),
    });
    const server = createAdaptorServer({ fetch: app.fetch }) as Server;
    const streams = new PodStreamUpgrades({ fetch: app.fetch, exec, logs: attachLogs, logger });
    server.on('upgrade', (req, socket, head) =>
      streams.handles(req) ? streams.upgrade(req, socket, head) : socket.destroy(),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      base: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
      async close() {
        streams.close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        rbac.stop();
      },
    };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stream-upgrades-'));
    await writeFile(
      join(dir, 'tokens.json'),
      JSON.stringify({ users: [{ name: 'viewer', token: VIEWER_TOKEN, role: 'read-only' }] }),
    );
    store = await SqliteStore.create({ path: join(dir, 'hub.db'), logger });
    const api = new ObjectRegistry({ store, clock: { now: () => Date.now() }, logger });
    await api.ensureNamespace('default');
    auth = await TokenAuth.create({ dataDir: dir, logger });
    await api.create(typeByKind('v1', 'Pod')!, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'a', namespace: 'default' },
      spec: { containers: [{ name: 'main', image: 'hello.wasm' }] },
    });
    main = await serve({ api });
  });
  afterAll(async () => {
    await main?.close();
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function openStream(query: string, opts: { token?: string; protocols?: string[] } = {}): Promise<Session> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${started(main).base}${EXEC}?${query}`, opts.protocols ?? ['v5.channel.k8s.io'], {
        headers: { authorization: `Bearer ${opts.token ?? started(auth).adminToken}` },
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

  return {
    get base() {
      return started(main).base;
    },
    get auth() {
      return started(auth);
    },
    reached,
    attached,
    openStream,
    async refusal(query, opts = {}) {
      const err = (await openStream(query, opts).then(
        () => undefined,
        (e: unknown) => e,
      )) as { status: number; body: string } | undefined;
      expect(err, 'the upgrade was refused').toBeDefined();
      return { status: err!.status, body: JSON.parse(err!.body) as { reason: string; message: string } };
    },
    refusedStatus(url) {
      return new Promise<number>((resolve) => {
        const ws = new WebSocket(url, ['v5.channel.k8s.io'], {
          headers: { authorization: `Bearer ${started(auth).adminToken}` },
        });
        ws.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => undefined);
      });
    },
    serve,
  };
}

/**
 * Peer-to-peer blobs over real mesh servers with real node certificates (mTLS, the cluster CA of a
 * test PKI): a holder serves a component it holds, the fetching node verifies it, and every way a peer
 * can fail — down, wrong bytes, a certificate of another node, a client that is not a node — ends with
 * the peer skipped and the hub's fetch used (a real HTTP server standing for the hub's blob route); a
 * transfer cut mid-way resumes from the same peer with a range.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEER_BLOB_MESH_PATH, type BlobSource } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { clientConnectOptions, type MeshTlsMaterial } from '../mesh/index.js';
import { startReceiver, type RigReceiver } from '../mesh/trust/testing/mesh-hop-rig.js';
import { TestPki } from '../mesh/trust/testing/test-pki.js';
import { peerBlobHandler, type PeerBlobServerStats } from './blob-server.js';
import { peerGet } from './peer-get.js';
import { zonePeerFetcher, type ZoneFetchStats } from './zone-fetcher.js';

const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const component = Buffer.alloc(3 * 1024 * 1024 + 17, 'peer component ');
const digest = sha256(component);

describe('zone peer fetch (mTLS, real mesh servers)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edge-peer-blobs-'));
  let pki: TestPki;
  let fetcherTls: MeshTlsMaterial;
  let holder: RigReceiver;
  let liar: RigReceiver;
  /** Serves the first GET only up to 1 MiB and then drops the connection; ranges (resumes) whole. */
  let flaky: RigReceiver;
  const flakyRanges: Array<string | undefined> = [];
  let hub: Server;
  let hubUrl = '';
  let hubGets = 0;
  const served: PeerBlobServerStats = { served: 0, bytes: 0 };

  beforeAll(async () => {
    pki = await TestPki.create();
    fetcherTls = await pki.node('node-c');
    const file = join(dir, 'component.wasm');
    writeFileSync(file, component);
    holder = await startReceiver('node-a', { transport: 'mtls', tls: await pki.node('node-a') }, 1);
    holder.server.setBlobHandler(
      peerBlobHandler({
        heldPath: (d) => Promise.resolve(d === digest ? file : undefined),
        logger: silentLogger(),
        stats: served,
      }),
    );
    // A peer that says it holds the blob but serves other bytes of the same length.
    const wrong = join(dir, 'wrong.wasm');
    writeFileSync(wrong, Buffer.alloc(component.length, 'x'));
    liar = await startReceiver('node-b', { transport: 'mtls', tls: await pki.node('node-b') }, 1);
    liar.server.setBlobHandler(peerBlobHandler({ heldPath: () => Promise.resolve(wrong), logger: silentLogger() }));
    flaky = await startReceiver('node-f', { transport: 'mtls', tls: await pki.node('node-f') }, 1);
    const real = peerBlobHandler({ heldPath: () => Promise.resolve(file), logger: silentLogger() });
    flaky.server.setBlobHandler(async (req, res) => {
      const range = req.headers.range;
      flakyRanges.push(range);
      if (range !== undefined || flakyRanges.length > 1) return real(req, res);
      res.writeHead(200, { 'content-length': String(component.length), etag: `"${digest}"` });
      res.write(component.subarray(0, 1024 * 1024), () => res.destroy());
    });
    hub = createServer((req, res) => {
      hubGets++;
      res.end(component);
    });
    await new Promise<void>((r) => hub.listen(0, '127.0.0.1', r));
    hubUrl = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await holder.close();
    await liar.close();
    await flaky.close();
    hub.closeAllConnections();
    await new Promise((r) => hub.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const fetcher = (sources: BlobSource[], stats: ZoneFetchStats) =>
    zonePeerFetcher({
      sources: () => Promise.resolve({ digest, sources }),
      connect: (peer) => ({ tls: clientConnectOptions(fetcherTls, peer) }),
      hub: async () => new Uint8Array(await (await fetch(`${hubUrl}/blob`)).arrayBuffer()),
      maxBytes: 64 * 1024 * 1024,
      logger: silentLogger(),
      peerIdleMs: 2_000,
      stats,
    });
  const at = (nodeName: string, r: RigReceiver): BlobSource => ({ nodeName, address: '127.0.0.1', meshPort: r.port });
  const newStats = (): ZoneFetchStats => ({ fromPeers: 0, peerBytes: 0, fromHub: 0, peerFailures: 0 });

  it('fetches a component from a zone peer that holds it, verified, without asking the hub', async () => {
    const stats = newStats();
    const before = hubGets;
    const bytes = await fetcher([at('node-a', holder)], stats)(digest);
    expect(sha256(bytes)).toBe(digest);
    expect(stats).toEqual({ fromPeers: 1, peerBytes: component.length, fromHub: 0, peerFailures: 0 });
    expect(hubGets).toBe(before);
    // The holder counts once its side of the stream has finished (it may trail the fetcher's end).
    await expect.poll(() => served, { timeout: 5_000 }).toMatchObject({ served: 1, bytes: component.length });
  });

  it('skips a peer that is down, one serving wrong bytes and one whose certificate is another node, then uses the hub', async () => {
    const stats = newStats();
    const before = hubGets;
    // A port nothing listens on: a closed server's.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const downPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const sources = [
      { nodeName: 'node-d', address: '127.0.0.1', meshPort: downPort },
      at('node-b', liar),
      // The hub says node-e, but node-a answers there: its certificate is refused.
      at('node-e', holder),
    ];
    const bytes = await fetcher(sources, stats)(digest);
    expect(sha256(bytes)).toBe(digest);
    expect(stats).toEqual({ fromPeers: 0, peerBytes: 0, fromHub: 1, peerFailures: 3 });
    expect(hubGets).toBe(before + 1);
  });

  it('does not ask a peer reached only through the hub’s relay; with only such holders, takes the hub’s copy at once', async () => {
    const relayedFetcher = (sources: BlobSource[], stats: ZoneFetchStats, relayed: string[]) =>
      zonePeerFetcher({
        sources: () => Promise.resolve({ digest, sources, pending: true }),
        connect: (peer) => ({ tls: clientConnectOptions(fetcherTls, peer) }),
        relayed: (n) => relayed.includes(n),
        hub: async () => new Uint8Array(await (await fetch(`${hubUrl}/blob`)).arrayBuffer()),
        maxBytes: 64 * 1024 * 1024,
        logger: silentLogger(),
        stats,
      });
    // The liar first: asked, it would serve wrong bytes and count a peer failure.
    const stats = newStats();
    const before = hubGets;
    const bytes = await relayedFetcher([at('node-b', liar), at('node-a', holder)], stats, ['node-b'])(digest);
    expect(sha256(bytes)).toBe(digest);
    expect(stats).toEqual({ fromPeers: 1, peerBytes: component.length, fromHub: 0, peerFailures: 0 });
    expect(hubGets).toBe(before);
    // Every holder relayed: the hub, without waiting for the pending download the answer also names.
    const hubOnly = newStats();
    const started = Date.now();
    expect(sha256(await relayedFetcher([at('node-a', holder)], hubOnly, ['node-a'])(digest))).toBe(digest);
    expect(hubOnly).toEqual({ fromPeers: 0, peerBytes: 0, fromHub: 1, peerFailures: 0 });
    expect(hubGets).toBe(before + 1);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('resumes a transfer cut mid-way from where it stopped, with a range, without asking the hub', async () => {
    const stats = newStats();
    const before = hubGets;
    const bytes = await fetcher([at('node-f', flaky)], stats)(digest);
    expect(sha256(bytes)).toBe(digest);
    expect(stats).toEqual({ fromPeers: 1, peerBytes: component.length, fromHub: 0, peerFailures: 0, peerResumes: 1 });
    expect(hubGets).toBe(before);
    // The resume asked for the rest only: at most the 1 MiB written, less what the cut lost in flight.
    expect(flakyRanges).toHaveLength(2);
    const from = Number(/^bytes=(\d+)-$/.exec(flakyRanges[1] ?? '')?.[1]);
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(1024 * 1024);
  });

  it('serves a range of what it holds (206), and 416 past its end', async () => {
    const connect = (p: string) => ({ tls: clientConnectOptions(fetcherTls, p) });
    const limits = { idleMs: 2_000, deadlineMs: 10_000, maxBytes: 64 * 1024 * 1024 };
    const rest = await peerGet(at('node-a', holder), digest, connect, limits, 1000);
    expect(rest.start).toBe(1000);
    expect(rest.bytes.equals(component.subarray(1000))).toBe(true);
    await expect(peerGet(at('node-a', holder), digest, connect, limits, component.length)).rejects.toThrow(
      'the peer answered 416',
    );
  });

  it('waits while a zone peer downloads it from the hub, then fetches from that peer', async () => {
    const stats = newStats();
    const before = hubGets;
    let asked = 0;
    const waiting = zonePeerFetcher({
      // Twice "a peer of your zone is downloading it", then that peer holds it.
      sources: () =>
        Promise.resolve(
          ++asked <= 2 ? { digest, sources: [], pending: true } : { digest, sources: [at('node-a', holder)] },
        ),
      connect: (peer) => ({ tls: clientConnectOptions(fetcherTls, peer) }),
      hub: () => Promise.reject(new Error('the hub must not be asked')),
      maxBytes: 64 * 1024 * 1024,
      logger: silentLogger(),
      pendingPollMs: 20,
      stats,
    });
    expect(sha256(await waiting(digest))).toBe(digest);
    expect(asked).toBe(3);
    expect(stats.fromPeers).toBe(1);
    expect(hubGets).toBe(before);
  });

  it('uses the hub when the sources query fails or names nobody', async () => {
    const stats = newStats();
    const failing = zonePeerFetcher({
      sources: () => Promise.reject(new Error('the hub answered 404')),
      connect: () => undefined,
      hub: async () => new Uint8Array(await (await fetch(`${hubUrl}/blob`)).arrayBuffer()),
      maxBytes: 64 * 1024 * 1024,
      logger: silentLogger(),
      stats,
    });
    expect(sha256(await failing(digest))).toBe(digest);
    expect(sha256(await fetcher([], stats)(digest))).toBe(digest);
    expect(stats.fromHub).toBe(2);
  });

  it('serves only what it holds, only to nodes, read-only', async () => {
    const limits = { idleMs: 2_000, deadlineMs: 10_000, maxBytes: 64 * 1024 * 1024 };
    const other = sha256(Buffer.from('not held'));
    await expect(
      peerGet(at('node-a', holder), other, (p) => ({ tls: clientConnectOptions(fetcherTls, p) }), limits),
    ).rejects.toThrow('the peer answered 404');
    // A user's certificate from the same CA: the mesh server refuses it (403), as for Service traffic.
    const user = await pki.issue({ commonName: 'alice', organizations: ['devs'] });
    await expect(
      peerGet(at('node-a', holder), digest, (p) => ({ tls: clientConnectOptions(user, p) }), limits),
    ).rejects.toThrow('the peer answered 403');
    // A size bound below the blob: refused from its declared length.
    await expect(
      peerGet(at('node-a', holder), digest, (p) => ({ tls: clientConnectOptions(fetcherTls, p) }), {
        ...limits,
        maxBytes: 1024,
      }),
    ).rejects.toThrow('more than the');
    const res = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest({
        host: '127.0.0.1',
        port: holder.port,
        path: `${PEER_BLOB_MESH_PATH}${digest}`,
        method: 'DELETE',
        agent: false,
        ...clientConnectOptions(fetcherTls, 'node-a'),
      });
      req.on('response', (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(res).toBe(405);
  });
});

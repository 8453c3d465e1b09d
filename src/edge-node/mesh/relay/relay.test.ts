/**
 * The mesh relay through the hub, with the real parts over real sockets: a sending node's NodePort,
 * balancer and peer pools (with the `RelayDialer`), the hub's real `MeshRelay` behind TLS with node
 * certificates, the receiving node's `RelayListener` and its real mTLS mesh server. What is checked:
 * a request reaches the pod through the relay (always, and in auto after a failed direct connect),
 * the TLS inside the relay is the nodes' own (a sender expecting another node is refused although
 * the hub joined the bytes), and what the hub refuses (no listener, a connection limit).
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { request } from 'undici';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../platform/index.js';
import { TestPki } from '../trust/testing/test-pki.js';
import {
  RIG_POD,
  startReceiver,
  startSender,
  startUpstream,
  type RigReceiver,
  type RigUpstream,
} from '../trust/testing/mesh-hop-rig.js';
import type { MeshTlsMaterial } from '../trust/tls-material.js';
import { RELAY_LISTEN_PATH } from '../../../api/index.js';
import type { Connector } from './peer-dialer.js';
import { RELAY_UNAVAILABLE, RelayDialer } from './relay-dialer.js';
import { RelayListener } from './relay-listener.js';
import { relayUrl } from './relay-socket.js';
import { startRelayHub, type RelayHubRig } from './testing/relay-hub-rig.js';

let pki: TestPki;
let hub: RelayHubRig;
let upstream: RigUpstream;
let receiver: RigReceiver;
let listener: RelayListener;
let senderTls: MeshTlsMaterial;
/** A port on 127.0.0.1 nothing listens on: the "unreachable" direct address of node-b. */
let closedPort: number;
const cleanups: Array<() => Promise<void>> = [];

async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function get(nodePort: number, path: string): Promise<{ status: number; body: string }> {
  const res = await request(`http://127.0.0.1:${nodePort}${path}`);
  return { status: res.statusCode, body: await res.body.text() };
}

beforeAll(async () => {
  pki = await TestPki.create();
  hub = await startRelayHub(pki.ca);
  upstream = await startUpstream();
  const bTls = await pki.node('node-b');
  receiver = await startReceiver('node-b', { transport: 'mtls', tls: bTls }, upstream.port);
  listener = new RelayListener({
    link: hub.link(bTls),
    logger: silentLogger(),
    meshTarget: () => ({ host: '127.0.0.1', port: receiver.port }),
  });
  listener.start();
  senderTls = await pki.node('node-a');
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  await until('the relay listener of node-b', () => hub.relay.stats.listeners === 1);
});

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  listener.stop();
  await receiver.close();
  await upstream.close();
  await hub.close();
});

/** One dial through `connect`; resolves with its error (null when it connected). */
function dialOnce(connect: Connector): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) =>
    connect(
      { hostname: '127.0.0.1', host: '127.0.0.1', port: '1', protocol: 'https:', servername: 'node-z' },
      (...args) => resolve(args[0]),
    ),
  );
}

async function sender(dialer: RelayDialer, nodeName = 'node-b', meshPort = closedPort): Promise<number> {
  const s = await startSender(
    'node-a',
    { transport: 'mtls', tls: senderTls },
    [{ nodeName, meshPort }],
    silentLogger(),
    dialer,
  );
  cleanups.push(() => s.close());
  return s.nodePort;
}

describe('mesh relay through the hub', () => {
  it('always: a NodePort request reaches the pod on a node it cannot dial, through the hub', async () => {
    const dialer = new RelayDialer({ link: hub.link(senderTls), mode: 'always' });
    const port = await sender(dialer);
    const before = { ...hub.relay.stats };
    for (let i = 0; i < 5; i++)
      expect(await get(port, `/always/${i}`)).toEqual({ status: 200, body: `reached /always/${i}` });
    // Kept alive: the five requests shared the relayed connection(s) the pool opened.
    expect(dialer.stats.relayed).toBeGreaterThanOrEqual(1);
    expect(dialer.stats.direct).toBe(0);
    expect(hub.relay.stats.opened).toBeGreaterThan(before.opened);
    expect(hub.relay.stats.bytes).toBeGreaterThan(before.bytes);
    expect(listener.stats.accepted).toBeGreaterThanOrEqual(1);
  });

  it('auto: a failed direct connect falls back to the relay and the peer stays relayed', async () => {
    const dialer = new RelayDialer({ link: hub.link(senderTls), mode: 'auto', retryDirectMs: 600_000 });
    const port = await sender(dialer);
    expect(await get(port, '/auto/1')).toEqual({ status: 200, body: 'reached /auto/1' });
    expect(dialer.stats.fallbacks).toBe(1);
    expect(dialer.relays('node-b')).toBe(true);
    expect(await get(port, '/auto/2')).toEqual({ status: 200, body: 'reached /auto/2' });
    expect(dialer.stats.fallbacks).toBe(1);
    expect(dialer.stats.direct).toBe(0);
  });

  it('auto: a reachable peer is dialed directly, the relay is not used', async () => {
    const dialer = new RelayDialer({ link: hub.link(senderTls), mode: 'auto' });
    const port = await sender(dialer, 'node-b', receiver.port);
    expect(await get(port, '/direct')).toEqual({ status: 200, body: 'reached /direct' });
    expect(dialer.stats).toMatchObject({ direct: 1, relayed: 0, fallbacks: 0 });
  });

  it('the TLS inside the relay is the nodes’ own: a sender expecting another node refuses node-b', async () => {
    // The hub joins the bytes to node-b's listener as asked; the sender's handshake inside the relay
    // checks the peer's certificate itself, here against a name node-b's certificate does not carry.
    const dialer = new RelayDialer({ link: hub.link(senderTls), mode: 'always' });
    const expectsC = {
      connector: (d: Parameters<RelayDialer['connector']>[0]) =>
        dialer.connector({ ...d, tls: { ...d.tls, checkServerIdentity: () => new Error('not node-c') } }),
    };
    const s = await startSender(
      'node-a',
      { transport: 'mtls', tls: senderTls },
      [{ nodeName: 'node-b', meshPort: closedPort }],
      silentLogger(),
      expectsC,
    );
    cleanups.push(() => s.close());
    const openedBefore = hub.relay.stats.opened;
    const hitsBefore = upstream.hits;
    const res = await get(s.nodePort, '/forged');
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(res.body).not.toContain('reached');
    expect(hub.relay.stats.opened).toBeGreaterThan(openedBefore);
    expect(dialer.stats.failed).toBeGreaterThanOrEqual(1);
    expect(upstream.hits).toBe(hitsBefore);
  });

  it('a peer with no relay listener on this hub: refused, answered as unreachable', async () => {
    const dialer = new RelayDialer({ link: hub.link(senderTls), mode: 'always' });
    const port = await sender(dialer, 'node-z');
    const refusedBefore = hub.relay.stats.refused;
    const res = await get(port, '/nobody');
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(hub.relay.stats.refused).toBeGreaterThan(refusedBefore);
  });

  it('auto: a peer that is down (refused directly, no relay listener) stays a connect failure the mesh may retry elsewhere, and is not remembered as relayed', async () => {
    const dialer = new RelayDialer({ link: hub.link(senderTls), mode: 'auto', retryDirectMs: 600_000 });
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const connect = dialer.connector({
      nodeName: 'node-z',
      tls: {}, // never used: the relay does not open
      direct: (_opts, cb) => cb(refused, null),
    });
    const err = await dialOnce(connect);
    // The direct dial's own error, not the hub's refusal of the relay (which the mesh would not retry).
    expect(err).toBe(refused);
    expect(dialer.stats).toMatchObject({ fallbacks: 1, failed: 1, relayed: 0 });
    expect(dialer.relays('node-z')).toBe(false);
    // Already relayed (always): the failure carries the code the mesh treats as a connect failure.
    const always = new RelayDialer({ link: hub.link(senderTls), mode: 'always' }).connector({
      nodeName: 'node-z',
      tls: {}, // never used: the relay does not open
      direct: (_opts, cb) => cb(refused, null),
    });
    const err2 = await dialOnce(always);
    expect(err2?.code).toBe(RELAY_UNAVAILABLE);
  });

  it('several hubs: a hub the peer is not on sends the dial on to the hub it is on, and the node follows once, to a hub it knows', async () => {
    // `other` is a second hub of the cluster; its presence says node-b's session is on `hub`.
    const other = await startRelayHub(
      pki.ca,
      {},
      {
        hubOf: (n) => (n === 'node-b' ? hub.base : undefined),
        connectedHere: () => false,
      },
    );
    cleanups.push(() => other.close());
    const dialer = new RelayDialer({ link: other.link(senderTls, [other.base, hub.base]), mode: 'always' });
    const port = await sender(dialer);
    const opened = hub.relay.stats.opened;
    expect(await get(port, '/other-hub/1')).toEqual({ status: 200, body: 'reached /other-hub/1' });
    expect(other.relay.stats).toMatchObject({ redirected: 1, opened: 0, bytes: 0 });
    expect(hub.relay.stats.opened).toBe(opened + 1);
    expect(dialer.stats).toMatchObject({ redirected: 1, relayed: 1, failed: 0 });
    // A node whose hub list lacks the hub named does not follow: an unreachable endpoint, as before.
    const unaware = new RelayDialer({ link: other.link(senderTls), mode: 'always' });
    const res = await get(await sender(unaware), '/other-hub/2');
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(other.relay.stats.redirected).toBe(2);
    expect(unaware.stats).toMatchObject({ redirected: 0, relayed: 0, failed: 1 });
    expect(hub.relay.stats.opened).toBe(opened + 1);
  });

  it('several hubs: a listener left on a hub the node’s session moved away from is passed over for the hub it is on', async () => {
    // `stale` holds a listener of node-b (its socket open), but node-b's session is on `hub` now.
    const bTls = await pki.node('node-b');
    let sessionHere = true;
    const stale = await startRelayHub(
      pki.ca,
      {},
      {
        hubOf: (n) => (n === 'node-b' ? hub.base : undefined),
        connectedHere: () => sessionHere,
      },
    );
    cleanups.push(() => stale.close());
    const left = new RelayListener({
      link: stale.link(bTls),
      logger: silentLogger(),
      meshTarget: () => ({ host: '127.0.0.1', port: closedPort }), // a dead end: it must not be used
    });
    left.start();
    cleanups.push(() => Promise.resolve(left.stop()));
    await until('node-b listening on the stale hub', () => stale.relay.stats.listeners === 1);
    const dialer = new RelayDialer({ link: stale.link(senderTls, [stale.base, hub.base]), mode: 'always' });
    const port = await sender(dialer);
    // While node-b's session is on `stale`, its listener there is used (and leads nowhere).
    expect((await get(port, '/stale/1')).status).toBeGreaterThanOrEqual(500);
    expect(stale.relay.stats.redirected).toBe(0);
    sessionHere = false;
    expect(await get(port, '/stale/2')).toEqual({ status: 200, body: 'reached /stale/2' });
    expect(stale.relay.stats.redirected).toBe(1);
    expect(left.stats.offers).toBe(1);
  });

  it('a listener that stops answering pings is closed by the hub', async () => {
    const quick = await startRelayHub(pki.ca, { pingIntervalMs: 100 });
    cleanups.push(() => quick.close());
    const dTls = await pki.node('node-d');
    // A listener whose link died silently: its socket stays open but answers no ping.
    const mute = new WebSocket(relayUrl(quick.link(dTls), RELAY_LISTEN_PATH, {}), {
      ...quick.link(dTls).tls(),
      autoPong: false,
    });
    mute.on('error', () => undefined);
    cleanups.push(() => Promise.resolve(mute.terminate()));
    await until('the mute listener registered', () => quick.relay.stats.listeners === 1);
    await until('the mute listener closed after an unanswered ping', () => quick.relay.stats.listeners === 0, 5_000);
    // One that answers stays.
    const live = new RelayListener({
      link: quick.link(dTls),
      logger: silentLogger(),
      meshTarget: () => ({ host: '127.0.0.1', port: closedPort }),
    });
    live.start();
    cleanups.push(() => Promise.resolve(live.stop()));
    await until('the live listener registered', () => quick.relay.stats.listeners === 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(quick.relay.stats.listeners).toBe(1);
  });

  it("several hubs: the listener follows the node's session to another hub and answers offers there", async () => {
    const second = await startRelayHub(pki.ca);
    cleanups.push(() => second.close());
    const cTls = await pki.node('node-c');
    const cReceiver = await startReceiver('node-c', { transport: 'mtls', tls: cTls }, upstream.port);
    cleanups.push(() => cReceiver.close());
    let base = hub.base;
    const l = new RelayListener({
      link: { ...hub.link(cTls), base: () => base },
      logger: silentLogger(),
      meshTarget: () => ({ host: '127.0.0.1', port: cReceiver.port }),
    });
    l.start();
    cleanups.push(() => Promise.resolve(l.stop()));
    // The hub counts the listener at its upgrade, before the node's socket has seen `open`: wait for both.
    await until('node-c listening on the first hub', () => hub.relay.stats.listeners === 2 && l.open);
    l.followHub(); // the session has not moved: nothing changes
    expect(l.open).toBe(true);
    base = second.base; // the session moved to the second hub
    l.followHub();
    await until('node-c listening on the second hub', () => second.relay.stats.listeners === 1 && l.open);
    await until('node-c gone from the first hub', () => hub.relay.stats.listeners === 1);
    const dialer = new RelayDialer({ link: second.link(senderTls), mode: 'always' });
    const port = await sender(dialer, 'node-c');
    expect(await get(port, '/followed')).toEqual({ status: 200, body: 'reached /followed' });
    expect(second.relay.stats.opened).toBe(1);
  });

  it('a node holds at most connectionsPerNode relayed connections', async () => {
    const small = await startRelayHub(pki.ca, { connectionsPerNode: 1 });
    cleanups.push(() => small.close());
    // A pod that answers only when told: its first request keeps the one relayed connection busy.
    let release: () => void = () => undefined;
    let held = 0;
    const gated = createHttpServer((req, res) => {
      held++;
      req.resume();
      release = () => void res.end('released');
    });
    await new Promise<void>((r) => gated.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      gated.closeAllConnections();
      await new Promise((r) => gated.close(r));
    });
    const bTls = await pki.node('node-b');
    const gatedReceiver = await startReceiver(
      'node-b',
      { transport: 'mtls', tls: bTls },
      (gated.address() as AddressInfo).port,
    );
    cleanups.push(() => gatedReceiver.close());
    const l = new RelayListener({
      link: small.link(bTls),
      logger: silentLogger(),
      meshTarget: () => ({ host: '127.0.0.1', port: gatedReceiver.port }),
    });
    l.start();
    cleanups.push(() => Promise.resolve(l.stop()));
    await until('the listener on the small hub', () => small.relay.stats.listeners === 1);
    const dialer = new RelayDialer({ link: small.link(senderTls), mode: 'always' });
    const port = await sender(dialer);
    const first = get(port, `/${RIG_POD.name}/1`);
    await until('the first request at the pod', () => held === 1);
    // The one connection is busy: a second request needs a second relayed connection, which the hub refuses.
    const second = await get(port, `/${RIG_POD.name}/2`);
    expect(second.status).toBeGreaterThanOrEqual(500);
    expect(small.relay.stats.refused).toBeGreaterThanOrEqual(1);
    release();
    expect(await first).toEqual({ status: 200, body: 'released' });
  });
});

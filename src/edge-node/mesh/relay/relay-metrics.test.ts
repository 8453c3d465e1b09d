/**
 * The relay's Prometheus series over the real relay (the hub's `MeshRelay` behind TLS, node
 * certificates, the receiving node's listener and mTLS mesh server, the sender's NodePort and peer
 * pools): relayed connections, bytes both ways, requests by path and their latency, as a scrape reads
 * them from the node's registry code (`relay-registry.ts` over prom-client).
 */
import { request } from 'undici';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentLogger } from '../../../platform/index.js';
import { relayMetrics } from '../../metrics/prometheus/relay-registry.js';
import { TestPki } from '../trust/testing/test-pki.js';
import { startReceiver, startSender, startUpstream, type RigReceiver, type RigUpstream } from '../trust/testing/mesh-hop-rig.js'; // prettier-ignore
import { RelayDialer } from './relay-dialer.js';
import { RelayListener } from './relay-listener.js';
import { RelayMetrics } from './relay-metrics.js';
import { startRelayHub, type RelayHubRig } from './testing/relay-hub-rig.js';

let pki: TestPki;
let hub: RelayHubRig;
let upstream: RigUpstream;
let receiver: RigReceiver;
let listener: RelayListener;
const sent = new RelayMetrics();
const received = new RelayMetrics();
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  pki = await TestPki.create();
  hub = await startRelayHub(pki.ca);
  upstream = await startUpstream();
  const bTls = await pki.node('node-b');
  receiver = await startReceiver('node-b', { transport: 'mtls', tls: bTls }, upstream.port);
  listener = new RelayListener({
    link: hub.link(bTls),
    logger: silentLogger(),
    metrics: received,
    meshTarget: () => ({ host: '127.0.0.1', port: receiver.port }),
  });
  listener.start();
  const end = Date.now() + 20_000;
  while (hub.relay.stats.listeners !== 1) {
    if (Date.now() > end) throw new Error('timed out waiting for the relay listener of node-b');
    await new Promise((r) => setTimeout(r, 20));
  }
});

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  sent.close();
  received.close();
  listener.stop();
  await receiver.close();
  await upstream.close();
  await hub.close();
});

/** A sender node reaching node-b through `mode` ('always': relayed; 'auto' to its real port: direct). */
async function senderPort(mode: 'always' | 'auto'): Promise<number> {
  const aTls = await pki.node('node-a');
  const dialer = new RelayDialer({ link: hub.link(aTls), mode, metrics: sent });
  const s = await startSender('node-a', { transport: 'mtls', tls: aTls }, [{ nodeName: 'node-b', meshPort: receiver.port }], silentLogger(), dialer); // prettier-ignore
  cleanups.push(() => s.close());
  return s.nodePort;
}

async function get(port: number, path: string): Promise<number> {
  const res = await request(`http://127.0.0.1:${port}${path}`);
  await res.body.text();
  return res.statusCode;
}

it('counts relayed connections, bytes and requests by path, and exposes them as Prometheus series', async () => {
  const relayed = await senderPort('always');
  const direct = await senderPort('auto');
  for (let i = 0; i < 4; i++) expect(await get(relayed, `/r/${i}`)).toBe(200);
  for (let i = 0; i < 3; i++) expect(await get(direct, `/d/${i}`)).toBe(200);

  expect(sent.requests.relayed).toMatchObject({ count: 4, errors: 0 });
  expect(sent.requests.direct).toMatchObject({ count: 3, errors: 0 });
  expect(sent.dialed.connections).toBeGreaterThanOrEqual(1);
  expect(sent.connect.count).toBe(sent.dialed.connections);
  // The nodes' TLS both ways: the handshake and four requests out, their answers back.
  expect(sent.dialed.bytesSent).toBeGreaterThan(1000);
  expect(sent.dialed.bytesReceived).toBeGreaterThan(1000);
  expect(received.accepted.connections).toBe(sent.dialed.connections);
  expect(received.accepted.bytesReceived).toBe(sent.dialed.bytesSent);

  const r = new Registry();
  relayMetrics(r, sent);
  const text = await r.metrics();
  expect(text).toContain(`edgeplane_mesh_relay_connections_total{direction="dialed"} ${sent.dialed.connections}`);
  expect(text).toContain(`edgeplane_mesh_relay_bytes_total{direction="dialed",flow="sent"} ${sent.dialed.bytesSent}`);
  expect(text).toContain('edgeplane_mesh_peer_requests_total{path="relayed",result="answered"} 4');
  expect(text).toContain('edgeplane_mesh_peer_requests_total{path="direct",result="answered"} 3');
  expect(text).toContain('edgeplane_mesh_peer_request_duration_seconds_bucket{le="+Inf",path="relayed"} 4');
  expect(text).toContain('edgeplane_mesh_peer_request_duration_seconds_count{path="direct"} 3');
  expect(text).toMatch(/edgeplane_mesh_relay_connect_duration_seconds_count [1-9]/);
});

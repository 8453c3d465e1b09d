/**
 * The hub's relay series (`relay-metrics.ts`) over the real relay (`gateway/relay/`) behind a real HTTP
 * server: a dial to a node with no listener and an accept for no pending offer are refused (counted by
 * reason), then a connection is joined and carries bytes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { RELAY_ACCEPT_PATH, RELAY_DIAL_PATH, RELAY_LISTEN_PATH } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { MeshRelay } from '../gateway/index.js';
import { until } from '../testing/index.js';
import { HubMetrics } from './hub-metrics.js';

const closers: Array<() => void> = [];
afterEach(() => closers.splice(0).forEach((c) => c()));

/** A relay behind a server; the node is named by the `x-node` header (the hub takes it from the certificate). */
async function relayServer(): Promise<{ relay: MeshRelay; base: string; server: Server }> {
  const relay = new MeshRelay(silentLogger());
  const server = createServer();
  server.on('upgrade', (req, socket, head) => relay.upgrade(req, socket, head, String(req.headers['x-node'])));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => {
    relay.close();
    server.close();
  });
  return { relay, base: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
const open = (url: string, node: string): WebSocket => new WebSocket(url, { headers: { 'x-node': node } });
const value = (text: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);

it('exposes the relay’s connections (total, open), refusals by reason, bytes and listeners, without node labels', async () => {
  const { relay, base } = await relayServer();
  const metrics = new HubMetrics({ relay: () => relay.stats });
  const refused = open(`${base}${RELAY_DIAL_PATH}?node=node-b`, 'node-a');
  await new Promise((r) => refused.once('error', r)); // 404: node-b has no listener
  const stray = open(`${base}${RELAY_ACCEPT_PATH}?id=no-such-offer`, 'node-b');
  await new Promise((r) => stray.once('error', r)); // 404: no pending offer of that id

  const listener = open(`${base}${RELAY_LISTEN_PATH}`, 'node-b');
  await new Promise((r) => listener.once('open', r));
  const offer = new Promise<{ id: string }>((r) =>
    listener.once('message', (m: Buffer) => r(JSON.parse(m.toString()) as { id: string })),
  );
  const dialer = open(`${base}${RELAY_DIAL_PATH}?node=node-b`, 'node-a');
  await new Promise((r) => dialer.once('open', r));
  const accepted = open(`${base}${RELAY_ACCEPT_PATH}?id=${(await offer).id}`, 'node-b');
  const got = new Promise<Buffer>((r) => accepted.once('message', (m) => r(m as Buffer)));
  await new Promise((r) => accepted.once('open', r));
  dialer.send(Buffer.from('hello'), { binary: true });
  expect(String(await got)).toBe('hello');
  await until(() => relay.stats.bytes === 5, 'the bytes counted');

  const text = (await metrics.render()).text;
  expect(value(text, 'edgeplane_hub_relay_connections_total')).toBe(1);
  expect(value(text, 'edgeplane_hub_relay_open_connections')).toBe(1);
  expect(value(text, 'edgeplane_hub_relay_refused_total{reason="no-listener"}')).toBe(1);
  expect(value(text, 'edgeplane_hub_relay_refused_total{reason="no-offer"}')).toBe(1);
  expect(relay.stats.refused).toBe(2);
  for (const reason of ['bad-request', 'limit', 'not-accepted'])
    expect(value(text, `edgeplane_hub_relay_refused_total{reason="${reason}"}`)).toBe(0);
  expect(value(text, 'edgeplane_hub_relay_bytes_total')).toBe(5);
  expect(value(text, 'edgeplane_hub_relay_listeners')).toBe(1);
  // No node labels: bounded at any fleet size (the refusals' reason is one of five).
  expect(text.match(/^edgeplane_hub_relay_\w+\{[^}]*\}/gm)?.every((l) => /^\w+\{reason="[a-z-]+"\}$/.test(l))).toBe(
    true,
  );

  dialer.close();
  await until(() => relay.stats.active === 0, 'the connection closed');
  expect(value((await metrics.render()).text, 'edgeplane_hub_relay_open_connections')).toBe(0);
  for (const ws of [listener, accepted]) ws.terminate();
});

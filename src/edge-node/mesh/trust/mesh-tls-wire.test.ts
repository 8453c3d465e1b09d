/**
 * A mesh hop on the wire: a TCP relay between a real sender and a real mesh server records every
 * byte, and over mTLS nothing of the request (path, headers, tokens, the answer) crosses in clear;
 * the same relay in insecure-token mode sees it all, which shows the check itself works.
 * Shared setup: testing/mesh-tls-suite.ts.
 */
import { once } from 'node:events';
import { createServer as createTcpServer, connect as tcpConnect, type AddressInfo, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { MESH_PORT_HEADER, MESH_TARGET_HEADER } from '../protocol.js';
import { RIG_MESH_TOKEN } from './testing/mesh-hop-rig.js';
import { meshTlsSuite, viaNodePort } from './testing/mesh-tls-suite.js';

const rig = meshTlsSuite();
const { cleanups, sender, startPeer } = rig;

/** A TCP relay between a sender and a mesh server that records every byte both ways. */
async function recordingRelay(
  targetPort: number,
): Promise<{ port: number; up: Buffer[]; down: Buffer[]; server: Server }> {
  const up: Buffer[] = [];
  const down: Buffer[] = [];
  const server = createTcpServer((client) => {
    const target = tcpConnect(targetPort, '127.0.0.1');
    client.on('data', (d: Buffer) => up.push(Buffer.from(d)));
    target.on('data', (d: Buffer) => down.push(Buffer.from(d)));
    client.pipe(target).on('error', () => client.destroy());
    target.pipe(client).on('error', () => target.destroy());
    client.on('error', () => target.destroy());
    target.on('error', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, up, down, server };
}

/** The TLS record types of a byte stream; throws when it is not a sequence of whole TLS records. */
function tlsRecordTypes(stream: Buffer): number[] {
  const types: number[] = [];
  let at = 0;
  while (at < stream.length) {
    const type = stream[at]!;
    const major = stream[at + 1];
    const length = stream.readUInt16BE(at + 3);
    if (![0x14, 0x15, 0x16, 0x17].includes(type) || major !== 3) throw new Error(`not a TLS record at ${at}`);
    types.push(type);
    at += 5 + length;
  }
  if (at !== stream.length) throw new Error('a truncated TLS record');
  return types;
}

describe('a hop on the wire', () => {
  const SECRET_PATH = '/orders/secret-path-7f3a';
  const CLIENT_HEADER = 'x-canary-header-91be';
  const CLIENT_AUTH = 'Bearer client-own-token-5c2d';

  async function recordedHop(mtls: boolean): Promise<{ up: Buffer; down: Buffer; status: number }> {
    const tlsB = await rig.pki.node('node-b');
    const peer = await startPeer('node-b', mtls ? { transport: 'mtls', tls: tlsB } : { transport: 'insecure-token' });
    const relay = await recordingRelay(peer.port);
    cleanups.push(() => new Promise((r) => relay.server.close(() => r())));
    const a = await sender(
      'node-a',
      mtls ? { transport: 'mtls', tls: await rig.pki.node('node-a') } : { transport: 'insecure-token' },
      [{ nodeName: 'node-b', meshPort: relay.port }],
    );
    const res = await viaNodePort(a, SECRET_PATH, { [CLIENT_HEADER]: 'canary', authorization: CLIENT_AUTH });
    return { up: Buffer.concat(relay.up), down: Buffer.concat(relay.down), status: res.status };
  }

  const needles = [
    SECRET_PATH,
    CLIENT_HEADER,
    CLIENT_AUTH,
    'client-own-token',
    MESH_TARGET_HEADER,
    MESH_PORT_HEADER,
    'authorization',
    RIG_MESH_TOKEN,
    'reached',
  ];

  it('with mTLS carries only TLS records: no path, no header name, no token in clear', async () => {
    const { up, down, status } = await recordedHop(true);
    expect(status).toBe(200);
    for (const [dir, bytes] of [
      ['up', up],
      ['down', down],
    ] as const) {
      const types = tlsRecordTypes(bytes);
      expect(types[0], dir).toBe(0x16); // a handshake first
      expect(types, dir).toContain(0x17); // then application data
      const text = bytes.toString('latin1').toLowerCase();
      for (const n of needles) expect(text.includes(n.toLowerCase()), `${dir} carries ${n}`).toBe(false);
      // ("http/1.1" is in the ClientHello's ALPN; an HTTP message would carry it with a status or a line end.)
      expect(/HTTP\/1\.1(\r\n| \d{3})/.test(bytes.toString('latin1')), dir).toBe(false);
    }
  });

  it('the same relay sees everything in clear in insecure-token mode (the check itself works)', async () => {
    const { up, status } = await recordedHop(false);
    expect(status).toBe(200);
    const text = up.toString('latin1');
    expect(text).toContain(SECRET_PATH);
    expect(text).toContain(RIG_MESH_TOKEN);
    expect(() => tlsRecordTypes(up)).toThrow();
  });
});

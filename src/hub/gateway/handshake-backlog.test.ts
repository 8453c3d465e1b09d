/**
 * The handshake backlog on a real TLS server: a TCP connection that has not finished its handshake
 * counts, a finished or abandoned one does not, and the hub is behind only when handshakes wait while
 * its event loop is saturated.
 */
import { once } from 'node:events';
import { connect as tcpConnect, type AddressInfo, type Socket } from 'node:net';
import { createServer, connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { loopbackServerCert } from '../../pki/testing/index.js';
import { HANDSHAKE_AGE_MS, HandshakeBacklog, SATURATED_UTILIZATION } from './handshake-backlog.js';

async function until(what: string, fn: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('HandshakeBacklog', () => {
  const sockets: Socket[] = [];
  const closers: Array<() => void> = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.destroy();
    for (const c of closers.splice(0)) c();
  });

  it('counts accepted connections until their TLS handshake ends or they close, and is behind only when saturated', async () => {
    const { caPem, certPem, keyPem } = await loopbackServerCert('backlog-ca');
    const server = createServer({ cert: certPem, key: keyPem }, (s) => s.on('error', () => undefined));
    server.on('tlsClientError', () => undefined);
    let utilization = 1;
    let now = 1_000_000;
    const backlog = new HandshakeBacklog(
      () => utilization,
      () => now,
    );
    backlog.attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(() => server.close());
    const port = (server.address() as AddressInfo).port;

    // Two TCP connections that never start their handshakes: both wait on the hub's side of the count.
    const idle = [tcpConnect(port, '127.0.0.1'), tcpConnect(port, '127.0.0.1')];
    sockets.push(...idle);
    await until('two pending handshakes', () => backlog.pending === 2);
    expect(backlog.behind()).toBe(true);
    utilization = SATURATED_UTILIZATION - 0.1;
    expect(backlog.behind()).toBe(false); // waiting clients alone do not make the hub behind
    utilization = 1;
    now += HANDSHAKE_AGE_MS + 1;
    expect(backlog.behind()).toBe(false); // older than a node's handshake timeout: the clients', not the hub's
    expect(backlog.pending).toBe(2);

    // A full handshake is counted while it runs and not after; an abandoned connection leaves the count.
    const tls = tlsConnect({ port, host: '127.0.0.1', ca: caPem });
    sockets.push(tls);
    await once(tls, 'secureConnect');
    tls.write('x'); // TLS 1.3: the server finishes its side on the client's Finished
    await until('the handshake done on the server', () => backlog.pending === 2);
    const young = tcpConnect(port, '127.0.0.1');
    sockets.push(young);
    await until('a young pending handshake', () => backlog.pending === 3);
    expect(backlog.behind()).toBe(true);
    young.destroy();
    await until('the young one gone', () => backlog.pending === 2);
    idle[0]!.destroy();
    await until('the abandoned connection gone', () => backlog.pending === 1);
    idle[1]!.write('not TLS\r\n\r\n');
    await until('the garbage connection gone', () => backlog.pending === 0);
    expect(backlog.behind()).toBe(false); // saturated, but no handshake waits
    expect(tls.destroyed).toBe(false);
  });

  it('is behind while connections wait at the handshake gate and the loop is saturated', () => {
    const server = createServer({});
    let utilization = 1;
    let queued = 0;
    const backlog = new HandshakeBacklog(() => utilization);
    backlog.attach(server, () => queued);
    expect(backlog.behind()).toBe(false); // nothing in a handshake, nothing waiting
    queued = 3;
    expect(backlog.behind()).toBe(true);
    utilization = SATURATED_UTILIZATION - 0.1;
    expect(backlog.behind()).toBe(false); // waiting clients alone do not make the hub behind
  });
});

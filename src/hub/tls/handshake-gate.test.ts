/**
 * The handshake gate between a real TCP listener and a real TLS server: at most `maxInFlight`
 * handshakes at once, the newest waiting connection first, a slot given back by a handshake that
 * stalls, and connections that waited too long (or overflow the queue) closed unread.
 */
import { once } from 'node:events';
import { connect as tcpConnect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loopbackServerCert, type LoopbackServerCert } from '../../pki/testing/index.js';
import { HandshakeGate, type HandshakeGateLimits } from './handshake-gate.js';

let pems: LoopbackServerCert;

beforeAll(async () => {
  pems = await loopbackServerCert('gate-ca');
});

async function until(what: string, fn: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('HandshakeGate', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const c of cleanups.splice(0).reverse()) c();
  });

  /** A TLS server fed through a gate by a paused TCP listener; `secured` lists client names in the order served. */
  async function gated(limits: Partial<HandshakeGateLimits>): Promise<{
    gate: HandshakeGate;
    port: number;
    secured: string[];
    tls: TlsServer;
  }> {
    const secured: string[] = [];
    const tls = createTlsServer({ cert: pems.certPem, key: pems.keyPem }, (s) => {
      s.on('error', () => undefined);
      s.once('data', (d) => secured.push(String(d)));
    });
    tls.on('tlsClientError', () => undefined);
    const gate = new HandshakeGate(tls, {
      maxInFlight: 1,
      maxWaitMs: 10_000,
      maxWaiting: 100,
      slotMs: 10_000,
      ...limits,
    });
    const acceptor = createNetServer({ pauseOnConnect: true }, (s) => gate.offer(s));
    acceptor.listen(0, '127.0.0.1');
    await once(acceptor, 'listening');
    cleanups.push(() => {
      gate.close();
      acceptor.close();
    });
    return { gate, port: (acceptor.address() as AddressInfo).port, secured, tls };
  }

  /** A TLS client that says its name once connected; resolves when the server has its name, or rejects. */
  function client(port: number, name: string): { done: Promise<void>; socket: Socket } {
    const socket = tlsConnect({ port, host: '127.0.0.1', ca: pems.caPem });
    cleanups.push(() => socket.destroy());
    const done = new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', () => socket.write(name, () => resolve()));
      socket.once('error', reject);
      socket.once('close', () => reject(new Error(`${name} closed before its handshake`)));
    });
    done.catch(() => undefined);
    return { done, socket };
  }

  /** A TCP connection that never sends a ClientHello: it holds a handshake slot until it closes or ages. */
  async function silent(port: number): Promise<Socket> {
    const s = tcpConnect(port, '127.0.0.1');
    s.on('error', () => undefined);
    cleanups.push(() => s.destroy());
    await once(s, 'connect');
    return s;
  }

  it('works on at most maxInFlight handshakes, and serves the newest waiting connection first', async () => {
    const { gate, port, secured } = await gated({ maxInFlight: 1 });
    const stall = await silent(port);
    await until('the silent connection admitted', () => gate.inFlight === 1);
    const older = client(port, 'older');
    await until('one waiting', () => gate.waiting === 1);
    const newer = client(port, 'newer');
    await until('two waiting', () => gate.waiting === 2);
    expect(gate.inFlight).toBe(1);
    expect(secured).toEqual([]);

    stall.destroy(); // its slot comes back: the newest waiting goes first, then the other
    await Promise.all([older.done, newer.done]);
    await until('both served', () => secured.length === 2);
    expect(secured).toEqual(['newer', 'older']);
    expect(gate.counts).toEqual({ admitted: 3, shed: 0 });
    expect(gate.waiting).toBe(0);
  });

  it('gives a stalled handshake’s slot back after slotMs, so a silent client cannot keep the gate shut', async () => {
    const { gate, port, secured } = await gated({ maxInFlight: 1, slotMs: 400 });
    const stall = await silent(port);
    await until('the slot taken', () => gate.inFlight === 1);
    const c = client(port, 'patient');
    await until('the client waiting behind the silent one', () => gate.waiting === 1);
    await c.done;
    await until('served', () => secured.length === 1);
    expect(stall.destroyed).toBe(false); // still open: the TLS server's own timeout is what closes it
    expect(gate.counts.shed).toBe(0);
  });

  it('closes, unread, the oldest connection past maxWaiting, and one that waited maxWaitMs', async () => {
    const { gate, port } = await gated({ maxInFlight: 1, maxWaitMs: 600, maxWaiting: 1 });
    await silent(port);
    await until('the slot taken', () => gate.inFlight === 1);
    const first = client(port, 'first');
    await until('one waiting', () => gate.waiting === 1);
    const second = client(port, 'second'); // the queue holds one: the longer-waiting first is closed
    await until('the first shed', () => gate.counts.shed === 1);
    expect(gate.waiting).toBe(1);
    await expect(first.done).rejects.toThrow();
    await expect(second.done).rejects.toThrow(); // waited 600 ms behind the silent one
    expect(gate.counts.shed).toBe(2);
    expect(gate.waiting).toBe(0);
  });

  it('closes everything waiting or in its handshake on close, a stalled one past slotMs too, and takes nothing after', async () => {
    const { gate, port } = await gated({ maxInFlight: 1, slotMs: 100 });
    const aged = await silent(port);
    await until('the slot taken', () => gate.inFlight === 1);
    await until('the stalled slot aged out', () => gate.inFlight === 0);
    const stall = await silent(port);
    await until('the slot taken again', () => gate.inFlight === 1);
    gate.close();
    await Promise.all([once(stall, 'close'), once(aged, 'close')]);
    const late = client(port, 'late');
    await expect(late.done).rejects.toThrow();
    expect(gate.inFlight).toBe(0);
    expect(gate.waiting).toBe(0);
  });

  it('closes a waiting connection on close', async () => {
    const { gate, port } = await gated({ maxInFlight: 1 });
    await silent(port);
    const waiting = client(port, 'waiting');
    await until('one waiting', () => gate.waiting === 1);
    gate.close();
    await expect(waiting.done).rejects.toThrow();
  });
});

/**
 * The NodePort proxy's limits over real sockets, with the real proxy classes (see testing/listener-rig.ts):
 * 413 by Content-Length (before any body is read) and by a chunked body passing the maximum, 503 past
 * the cap of concurrent requests and service again after, bodies streamed through to a container port
 * (not buffered), bodies for in-process workloads held within the node's budget, and slow clients cut
 * off by the headers timeout.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CAP, MAX_BODY, raw, send, startListenerRig, type ListenerRig } from './testing/listener-rig.js';

let rig: ListenerRig;
beforeAll(async () => {
  rig = await startListenerRig();
});
afterAll(() => rig.stop());

describe('listener limits', () => {
  it('answers 413 to a declared body above the maximum without reading it (and without 100-continue)', async () => {
    const before = rig.received.length;
    const a = await raw(rig.ports.tcp, `POST /big HTTP/1.1\r\nhost: x\r\ncontent-length: ${MAX_BODY + 1}\r\n\r\n`);
    expect(a.status).toBe(413);
    expect(a.body).toMatch(/larger than the maximum of 1048576 bytes/);
    expect(a.head).toMatch(/connection: close/i);
    const c = await raw(
      rig.ports.tcp,
      `POST /big HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: ${MAX_BODY * 10}\r\n\r\n`,
    );
    expect(c.status).toBe(413);
    expect(rig.received.length).toBe(before);
  });

  it('cuts off a chunked body when it passes the maximum: 413, and the container never gets all of it', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const a = await raw(
      rig.ports.tcp,
      'POST /chunked HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n',
      (s) => {
        let sent = 0;
        const pump = (): void => {
          // Up to twice the maximum; the rig.proxy answers (and stops reading) long before.
          while (sent < 2 * MAX_BODY && !s.destroyed) {
            sent += chunk.length;
            if (!s.write(`${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n`))
              return void s.once('drain', pump);
          }
        };
        s.on('error', () => undefined);
        pump();
      },
    );
    expect(a.status).toBe(413);
    expect(a.body).toMatch(/larger than 1048576 bytes/);
    const seen = rig.received.filter((r) => r.path === '/chunked');
    expect(seen.every((r) => !r.complete && r.bytes <= MAX_BODY)).toBe(true);
  });

  it('streams a body larger than any buffer through to the container port while the client is still sending', async () => {
    const half = Buffer.alloc(MAX_BODY / 2, 0x62);
    const upstreamStarted = new Promise<void>((r) => (rig.firstBytes = r));
    const a = await raw(
      rig.ports.tcp,
      `POST /stream HTTP/1.1\r\nhost: x\r\ncontent-length: ${half.length * 2}\r\n\r\n`,
      (s) => {
        s.write(half);
        // The second half only once the container has bytes: a rig.proxy that buffered whole bodies would never answer.
        void upstreamStarted.then(() => s.write(half));
      },
    );
    expect(a.status).toBe(200);
    expect(a.body).toBe(`container got ${MAX_BODY}`);
  });

  it('refuses requests past the cap with a 503 saying so, and serves again once slots are free', async () => {
    const arrived = new Promise<void>((r) => {
      let n = 0;
      rig.heldArrived = () => {
        if (++n === CAP) r();
      };
    });
    const holding = Array.from({ length: CAP }, () => send(rig.ports.tcp, '/hold', 'x'));
    await arrived;
    expect(rig.proxy.inFlight(rig.ports.tcp)).toBe(CAP);
    const refused = await send(rig.ports.tcp, '/one-more');
    expect(refused.status).toBe(503);
    expect(refused.body).toBe(
      `node port ${rig.ports.tcp} is at its cap of ${CAP} concurrent requests: try again later\n`,
    );
    // Another listener has its own cap.
    expect((await send(rig.ports.wasm, '/')).status).toBe(200);
    for (const release of rig.held.splice(0)) release();
    expect((await Promise.all(holding)).map((a) => a.status)).toEqual([200, 200, 200]);
    const after = await send(rig.ports.tcp, '/after', 'y');
    expect(after).toMatchObject({ status: 200, body: 'container got 1' });
  });

  it('holds bodies for in-process workloads within the node budget: 503 past it, 413 past the maximum', async () => {
    const big = 'w'.repeat(MAX_BODY);
    const holding = [send(rig.ports.wasm, '/hold', big), send(rig.ports.wasm, '/hold', big)];
    // Within a deadline of its own, so a slow machine fails here with what was awaited, not at the test's timeout.
    await vi.waitFor(() => expect(rig.inProcessHeld).toHaveLength(2), 15_000);
    expect(rig.buffers.used).toBe(2 * MAX_BODY);
    const full = await send(rig.ports.wasm, '/', big);
    expect(full.status).toBe(503);
    expect(full.body).toMatch(/request body buffers are full/);
    for (const release of rig.inProcessHeld.splice(0)) release();
    expect((await Promise.all(holding)).map((a) => a.body)).toEqual([`wasm got ${MAX_BODY}`, `wasm got ${MAX_BODY}`]);
    expect((await send(rig.ports.wasm, '/', big)).body).toBe(`wasm got ${MAX_BODY}`);
    expect(rig.buffers.used).toBe(0);
    const chunked = await raw(
      rig.ports.wasm,
      'POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n',
      (s) => {
        s.on('error', () => undefined);
        s.write(`${(MAX_BODY + 10).toString(16)}\r\n${'z'.repeat(MAX_BODY + 10)}\r\n0\r\n\r\n`);
      },
    );
    expect(chunked.status).toBe(413);
    expect(rig.buffers.used).toBe(0);
  });

  it('closes a connection whose headers do not arrive within the headers timeout (slowloris), without holding a slot', async () => {
    const a = await raw(rig.ports.tcp, 'GET / HTTP/1.1\r\nhost: x\r\n', (s) => {
      const drip = setInterval(() => (s.destroyed ? clearInterval(drip) : s.write('x-drip: 1\r\n')), 50);
      s.on('close', () => clearInterval(drip));
    });
    expect(a.status).toBe(408);
    expect(rig.proxy.inFlight(rig.ports.tcp)).toBe(0);
  });
});

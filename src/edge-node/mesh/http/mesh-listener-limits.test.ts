/**
 * The mesh server's and a local listener's limits over real sockets: a cap of concurrent requests
 * (a retriable mesh error from the mesh server, a 503 from a local listener) and 413 for a large body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESH_PORT_HEADER, MESH_TARGET_HEADER } from '../protocol.js';
import { LocalListeners } from '../egress/local-listeners.js';
import { MESH_ERROR_HEADER } from '../protocol.js';
import {
  CAP,
  MAX_BODY,
  freePort,
  logger,
  raw,
  send,
  startListenerRig,
  type ListenerRig,
} from './testing/listener-rig.js';

let rig: ListenerRig;
beforeAll(async () => {
  rig = await startListenerRig();
});
afterAll(() => rig.stop());

describe('mesh server and local listeners', () => {
  it('the mesh server refuses past its cap with a retriable mesh error, and 413s a large body', async () => {
    const headers = {
      authorization: 'Bearer mesh-token',
      [MESH_TARGET_HEADER]: 'default/tcp',
      [MESH_PORT_HEADER]: '8080',
    };
    const arrived = new Promise<void>((r) => {
      let n = 0;
      rig.heldArrived = () => {
        if (++n === CAP) r();
      };
    });
    const holding = Array.from({ length: CAP }, () => send(rig.mesh.port, '/hold', 'x', headers));
    await arrived;
    const busy = await send(rig.mesh.port, '/', '', headers);
    expect(busy.status).toBe(503);
    expect((JSON.parse(busy.head) as Record<string, string>)[MESH_ERROR_HEADER]).toBe('busy');
    for (const release of rig.held.splice(0)) release();
    expect((await Promise.all(holding)).every((a) => a.status === 200)).toBe(true);
    const big = await raw(
      rig.mesh.port,
      `POST / HTTP/1.1\r\nhost: x\r\nauthorization: Bearer mesh-token\r\n${MESH_TARGET_HEADER}: default/tcp\r\n${MESH_PORT_HEADER}: 8080\r\ncontent-length: ${MAX_BODY + 1}\r\n\r\n`,
    );
    expect(big.status).toBe(413);
  });

  it('a local listener caps its requests and refuses large bodies like the others', async () => {
    const waiting: Array<() => void> = [];
    let notify: (() => void) | undefined;
    const listeners = new LocalListeners({
      handle: (_req, res) => {
        waiting.push(() => res.end('ok'));
        notify?.();
      },
      connect: (_req, socket) => socket.destroy(),
      onBusy: () => undefined,
      logger,
      limits: { maxConcurrentRequests: 1, maxRequestBodyBytes: 10 },
    });
    const port = await freePort();
    await listeners.sync([{ address: '127.0.0.1', port }]);
    try {
      const first = send(port, '/');
      await new Promise<void>((r) => (waiting.length > 0 ? r() : (notify = r)));
      const second = await send(port, '/');
      expect(second.status).toBe(503);
      expect(second.body).toMatch(`local listener 127.0.0.1:${port} is at its cap of 1 concurrent requests`);
      waiting.shift()!();
      expect((await first).body).toBe('ok');
      expect((await send(port, '/', 'x'.repeat(11))).status).toBe(413);
    } finally {
      for (const w of waiting) w();
      await listeners.stop();
    }
  });
});

import { silentLogger } from '../../../platform/index.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ServiceTable } from '../balancing/service-table.js';
import { LocalListeners, type ListenAddress } from './local-listeners.js';
import { HTTP_PROXY_KEY, LocalProxy } from './local-proxy.js';

const ADDRESS = '127.0.78.1';
const cleanup: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function occupy(): Promise<number> {
  const s: Server = createServer();
  await new Promise<void>((resolve) => s.listen(0, ADDRESS, resolve));
  cleanup.push(() => new Promise((r) => s.close(() => r())));
  return (s.address() as AddressInfo).port;
}

function listeners(busy: ListenAddress[] = []): LocalListeners {
  const l = new LocalListeners({
    handle: (req, res) => res.end(`port ${req.socket.localPort}`),
    connect: (_req, socket) => socket.destroy(),
    onBusy: (at) => busy.push(at),
    logger: silentLogger(),
    retryMs: 20,
  });
  cleanup.push(() => l.stop());
  return l;
}

describe('LocalListeners', () => {
  it('listens on what is wanted, reports a port held by another process, and closes what is no longer wanted', async () => {
    const taken = await occupy();
    const free = await occupy().then(async (p) => {
      await cleanup.pop()!(); // free again: ours to take
      return p;
    });
    const busy: ListenAddress[] = [];
    const l = listeners(busy);
    await l.sync([
      { address: ADDRESS, port: taken },
      { address: ADDRESS, port: free },
    ]);
    expect(busy).toEqual([{ address: ADDRESS, port: taken }]);
    expect(l.listening()).toEqual([{ address: ADDRESS, port: free }]);
    expect(await (await fetch(`http://${ADDRESS}:${free}/`)).text()).toBe(`port ${free}`);
    await l.sync([]);
    expect(l.listening()).toEqual([]);
    await expect(fetch(`http://${ADDRESS}:${free}/`)).rejects.toThrow();
  });

  it('keeps trying an address the node does not have yet, without reporting it busy', async () => {
    const busy: ListenAddress[] = [];
    const l = listeners(busy);
    await l.sync([{ address: '203.0.113.7', port: 24999 }]); // TEST-NET-3: on no interface here
    // An absence cannot be polled for: watch a few of its 20 ms retries go by.
    await new Promise((r) => setTimeout(r, 80));
    expect(l.listening()).toEqual([]);
    expect(busy).toEqual([]);
    await l.sync([]); // no longer wanted: the retries stop with it
  });
});

describe('LocalProxy and a port held by another process', () => {
  it('moves the key to a free port of its range and persists the move', async () => {
    const taken = await occupy();
    const saved: Array<Record<string, { port: number }>> = [];
    const proxy = new LocalProxy({
      table: new ServiceTable(silentLogger()),
      // Never reached: no request is made here.
      balancer: undefined as never,
      deliverer: undefined as never,
      origin: () => ({ nodeName: 'n' }),
      callerAt: () => undefined,
      addresses: () => [ADDRESS],
      // The saved assignment points at the taken port, as after another process took it while the node was down.
      store: {
        load: () => Promise.resolve({ [HTTP_PROXY_KEY]: { port: taken } }),
        save: (a) => {
          saved.push(a);
          return Promise.resolve();
        },
      },
      logger: silentLogger(),
      range: { min: taken, max: taken + 1 },
    });
    cleanup.push(() => proxy.stop());
    await proxy.start();
    // The move re-syncs asynchronously: poll until it has happened.
    await vi.waitFor(async () => {
      await proxy.update();
      expect(proxy.portOf(HTTP_PROXY_KEY)).toBe(taken + 1);
    });
    expect(proxy.listening()).toEqual([{ address: ADDRESS, port: taken + 1 }]);
    expect(saved.at(-1)).toEqual({ [HTTP_PROXY_KEY]: { port: taken + 1 } });
  });
});

/**
 * A nodePort another process holds is tried again until it opens: the Services need not change for
 * the node to serve it once the port is free. Real sockets, the real proxy, table and balancer.
 */
import { createServer, type Server } from 'node:http';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../api/index.js';
import type { Logger } from '../../../api/index.js';
import { silentLogger } from '../../../platform/index.js';
import { LeastLoadedPicker } from '../balancing/least-loaded-picker.js';
import { ServiceBalancer } from '../balancing/service-balancer.js';
import { ServiceTable } from '../balancing/service-table.js';
import { Deliverer } from '../delivery/deliverer.js';
import { nodePortRoute } from '../http/testing/listener-rig.js';
import { NodePortProxy } from './node-port-proxy.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** A server of the test's own on a free port: what "another process holds it" looks like. */
async function holder(): Promise<{ port: number; server: Server }> {
  const server = createServer((_req, res) => res.end('held'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { port: address.port, server };
}

function close(server: Server): Promise<void> {
  return new Promise((r) => server.close(() => r()));
}

/** A proxy over a real table and balancer, logging its failures into `failures`. */
function proxyWith(failures: Array<Record<string, unknown>>): { proxy: NodePortProxy; table: ServiceTable } {
  // A real pino logger whose error lines are kept.
  const logger: Logger = pino(
    { level: 'error' },
    { write: (line: string) => void failures.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const table = new ServiceTable(silentLogger());
  const deliverer = new Deliverer({
    logger,
    transport: 'insecure-token',
    meshToken: () => 'mesh-token',
  });
  const balancer = new ServiceBalancer({
    nodeName: () => 'self',
    picker: new LeastLoadedPicker({ clock: systemClock, logger }),
    local: () => ({ ok: false, reason: 'NotFound', message: 'no local pods here' }),
    deliverer,
  });
  const proxy = new NodePortProxy({
    address: '127.0.0.1',
    table,
    balancer,
    logger,
    bindRetry: { initialMs: 20, maxMs: 80 },
  });
  cleanup.push(async () => {
    await proxy.stop();
    await deliverer.close();
  });
  return { proxy, table };
}

async function until(what: string, f: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('a nodePort that cannot be bound', () => {
  it('is tried again with backoff and opens once the port is free, with no Services change', async () => {
    const failures: Array<Record<string, unknown>> = [];
    const { proxy, table } = proxyWith(failures);
    const held = await holder();
    cleanup.push(() => close(held.server));
    table.update([nodePortRoute('web', held.port, [])]);
    await proxy.update();
    expect(proxy.listeningPorts()).toEqual([]);
    expect(proxy.pendingPorts()).toEqual([held.port]);
    await until('three failed attempts', () => failures.length >= 3);
    expect(failures[0]).toMatchObject({ msg: 'cannot listen on nodePort', nodePort: held.port, attempts: 1 });
    expect(failures[0]?.err).toMatch(/EADDRINUSE/);
    // The backoff doubles up to its cap: 20, 40, then 80 ms.
    expect(failures.slice(0, 3).map((f) => f.retryInMs)).toEqual([20, 40, 80]);
    await close(held.server);
    await until('the port opened', () => proxy.listeningPorts().includes(held.port));
    expect(proxy.pendingPorts()).toEqual([]);
    // It is the proxy that answers now: a Service with no ready endpoint gets a 503 naming it.
    const res = await fetch(`http://127.0.0.1:${held.port}/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('default/web');
  });

  it('stops being tried once it leaves the table, and when the proxy stops', async () => {
    const failures: Array<Record<string, unknown>> = [];
    const { proxy, table } = proxyWith(failures);
    const a = await holder();
    const b = await holder();
    cleanup.push(
      () => close(a.server),
      () => close(b.server),
    );
    table.update([nodePortRoute('a', a.port, []), nodePortRoute('b', b.port, [])]);
    await proxy.update();
    expect(proxy.pendingPorts().sort()).toEqual([a.port, b.port].sort());
    table.update([nodePortRoute('b', b.port, [])]);
    await proxy.update();
    expect(proxy.pendingPorts()).toEqual([b.port]);
    const before = failures.filter((f) => f.nodePort === a.port).length;
    await until('b tried twice more', () => failures.filter((f) => f.nodePort === b.port).length >= 3);
    expect(failures.filter((f) => f.nodePort === a.port)).toHaveLength(before);
    await proxy.stop();
    expect(proxy.pendingPorts()).toEqual([]);
    const after = failures.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(failures).toHaveLength(after);
  });

  it('a stop while an update is under way: the update ends, nothing is left listening or to retry', async () => {
    const { proxy, table } = proxyWith([]);
    const free = await holder();
    await close(free.server);
    table.update([nodePortRoute('web', free.port, [])]);
    const updating = proxy.update();
    await proxy.stop();
    await updating;
    expect(proxy.listeningPorts()).toEqual([]);
    expect(proxy.pendingPorts()).toEqual([]);
    await expect(fetch(`http://127.0.0.1:${free.port}/`)).rejects.toThrow();
  });
});

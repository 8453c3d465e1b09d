/**
 * The tests' free ports: never from the kernel's ephemeral range (where any socket of any process may
 * take a port between the probe and the bind) nor Kubernetes' NodePort range, never one held.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './test-agents.js';

const held: Server[] = [];
afterAll(async () => {
  await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
});

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

describe('freePort', () => {
  it('gives ports outside the ephemeral and NodePort ranges, a different one each call, each bindable', async () => {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    const ports = [];
    for (let i = 0; i < 20; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(20);
    for (const p of ports) {
      expect(p >= lo! && p <= hi!).toBe(false);
      expect(p >= 30000 && p <= 32767).toBe(false);
    }
    held.push(await listen(ports[0]!));
  });

  it('passes over a port something listens on, through a whole turn of its slice', async () => {
    const taken = await freePort();
    held.push(await listen(taken));
    const seen = new Set<number>();
    for (let i = 0; i < 1100; i++) seen.add(await freePort());
    expect(seen.has(taken)).toBe(false);
    // A turn of the slice came round: its ports are handed out again, all but the held one.
    expect(seen.size).toBeLessThan(1100);
  });
});

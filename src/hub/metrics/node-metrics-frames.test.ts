import { describe, expect, it } from 'vitest';
import type { NodeUsage, Service } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { NodeMetricsFrames } from './node-metrics-frames.js';

const svc = (name: string, type: 'NodePort' | 'ClusterIP'): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'shop' },
  spec: { type, selector: { app: name }, ports: [{ port: 80 }] },
});
const SERVICES = new Map([
  ['shop/front', svc('front', 'NodePort')],
  ['shop/cart', svc('cart', 'ClusterIP')],
]);

let now = Date.parse('2026-12-02T15:00:00Z');

function intake(): { frames: NodeMetricsFrames; wakes: string[]; reports: NodeUsage[]; violations: string[] } {
  const wakes: string[] = [];
  const reports: NodeUsage[] = [];
  const violations: string[] = [];
  const frames = new NodeMetricsFrames({
    usage: { report: (_node, f) => void reports.push(f), wake: (ns, name) => void wakes.push(`${ns}/${name}`) },
    services: { get: (ns, name) => SERVICES.get(`${ns ?? ''}/${name}`) },
    logger: silentLogger(),
    clock: { now: () => now },
  });
  // n1 runs pods of namespace shop; n2 runs none.
  frames.bind({ sessionOf: () => undefined, routesNamespace: (node, ns) => node === 'n1' && ns === 'shop' });
  return { frames, wakes, reports, violations };
}

const session = (protocol: number, violations: string[] = []) => ({
  protocol,
  open: true,
  send: () => {},
  violation: (r: string) => void violations.push(r),
});

describe('NodeMetricsFrames', () => {
  it('passes on a wake for a Service the node routes, at most twice a second, and counts the others', () => {
    const t = intake();
    const wake = (node: string, name: string): void =>
      t.frames.handle(session(3), node, { type: 'serviceWake', namespace: 'shop', name });
    wake('n2', 'front'); // NodePort: every node routes it
    wake('n1', 'cart'); // ClusterIP of a namespace n1's pods need
    wake('n1', 'cart'); // at once again: one wake is enough
    wake('n2', 'cart'); // n2 has no pod that calls shop's Services
    wake('n1', 'missing');
    expect(t.wakes).toEqual(['shop/front', 'shop/cart']);
    // A node repeats its wake every second while it holds requests: each repeat is heard.
    now += 1000;
    wake('n1', 'cart');
    expect(t.wakes).toEqual(['shop/front', 'shop/cart', 'shop/cart']);
    expect(t.frames.stats.refusedWakes).toBe(2);
  });

  it('takes usage only on protocol 3 sessions', () => {
    const t = intake();
    const usage: NodeUsage = {
      type: 'usage',
      timestamp: '2026-12-02T15:00:00Z',
      windowSeconds: 5,
      node: { cpuNanoCores: 1, memoryBytes: 1 },
      pods: [],
    };
    const violations: string[] = [];
    t.frames.handle(session(2, violations), 'n1', usage);
    t.frames.handle(session(3, violations), 'n1', usage);
    expect(violations).toEqual(['"usage" is a protocol 3 frame; this session speaks protocol 2']);
    expect(t.reports).toHaveLength(1);
  });
});

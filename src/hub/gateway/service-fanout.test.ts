/**
 * The Service stream's fan-out over real WebSockets (`testing/fanout-rig.ts`: the stream on real informers
 * over a real store, real sockets to peers that apply what they get by the agent's rules, bounds shrunk to
 * 100 endpoints a frame and a 64 KiB high-water mark): a large route sent in parts of bounded size, one flip
 * as one small patch, and many nodes served in turns that let the loop run between them. Backpressure:
 * `service-fanout-backpressure.test.ts`; resumption: `service-fanout-resume.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import type { Service } from '../../api/index.js';
import { Peer } from './testing/fanout-peer.js';
import { CHUNK, SVC, service, fanoutRig } from './testing/fanout-rig.js';
import { until } from './testing/raw-node.js';

describe('Service stream fan-out: bounded parts, per-node backpressure, coalescing, resumption', () => {
  const rig = fanoutRig();
  const { hub, interested, setEndpoints } = rig;

  it('sends a large route in parts of bounded size that an agent applies as they come; one flip is one small patch', async () => {
    await until(() => hub.stream.revision > 0, 'the stream to see the Service');
    interested('a');
    const a = await Peer.connect(hub.url, 'a');
    await until(() => a.web()?.endpoints === 1000, 'the whole route');
    const set = a.frames.find((f) => f.msg.type === 'serviceSet')!;
    const parts = a.frames.filter((f) => f.msg.type === 'serviceDelta');
    expect(set.msg.type === 'serviceSet' && set.msg.services[0]!.route.endpoints).toHaveLength(CHUNK);
    expect(parts).toHaveLength(1000 / CHUNK - 1);
    // Every frame is about 100 endpoints' worth, none the whole route.
    for (const f of [set, ...parts]) expect(f.bytes).toBeLessThan(CHUNK * 200);
    expect(a.view.misses).toEqual([]);

    const before = a.frames.length;
    await setEndpoints(1000, [7]);
    await until(() => a.web()?.notReady.length === 1, 'the flip');
    const flip = a.frames.slice(before);
    expect(flip).toHaveLength(1);
    expect(flip[0]!.msg).toMatchObject({
      type: 'serviceDelta',
      endpoints: { upsert: [{ pod: { name: 'web-7' }, ready: false }] },
    });
    expect(flip[0]!.bytes).toBeLessThan(400);
    expect(a.web()).toMatchObject({ endpoints: 1000, notReady: ['web-7'] });
    await a.close();
  });

  it('serves many nodes in turns that let the loop run between them, each node ending with the whole route', async () => {
    const names = Array.from({ length: 60 }, (_, i) => `many-${i}`);
    for (const n of names) interested(n);
    const peers = await Promise.all(names.map((n) => Peer.connect(hub.url, n)));
    await until(() => peers.every((p) => p.web()?.endpoints === 1000), 'every node to hold the route');
    // A reshaped Service goes whole to all 60 (9 MB at these sizes). Nodes read what they are sent
    // while other nodes still wait their turn: the loop was not held for the whole fan-out.
    const waitingWhenRead: number[] = [];
    for (const p of peers) p.ws.on('message', () => waitingWhenRead.push(hub.stream.pending));
    await rig.t.api.update(SVC, { ...(await rig.t.api.get<Service>(SVC, 'shop', 'web')), spec: service(81).spec });
    await until(
      () => peers.every((p) => p.web()?.ports[0] === 81 && p.web()?.endpoints === 1000),
      'the new route everywhere',
    );
    expect(Math.max(...waitingWhenRead)).toBeGreaterThan(0);
    for (const p of peers) expect(p.view.misses).toEqual([]);
    await Promise.all(peers.map((p) => p.close()));
  });
});

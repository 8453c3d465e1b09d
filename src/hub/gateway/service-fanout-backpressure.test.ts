/**
 * The Service stream's per-node backpressure over real WebSockets (`testing/fanout-rig.ts`): a node that does
 * not read is held back near the high-water mark, with no more than one window unacknowledged, while another
 * keeps up, and is then sent only the newest state (changes coalesced). Fan-out: `service-fanout.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import type { Service } from '../../api/index.js';
import { DEFAULT_PUMP_LIMITS } from './service-pump.js';
import { Peer } from './testing/fanout-peer.js';
import { HIGH_WATER, SVC, service, fanoutRig } from './testing/fanout-rig.js';
import { until } from './testing/raw-node.js';

describe('Service stream fan-out: bounded parts, per-node backpressure, coalescing, resumption', () => {
  const rig = fanoutRig();
  const { hub, interested, setEndpoints } = rig;

  it('holds back from a node that does not read, keeps its socket near the high-water mark, and sends it only the newest state', async () => {
    await setEndpoints(4000);
    interested('slow');
    interested('fast');
    const slow = await Peer.connect(hub.url, 'slow');
    const fast = await Peer.connect(hub.url, 'fast');
    await until(() => slow.web()?.endpoints === 4000 && fast.web()?.endpoints === 4000, 'both to hold the route');
    slow.ws.pause(); // stops reading its socket (and answering pings)
    const seen = slow.frames.length;
    const writtenBefore = hub.sessions.get('slow')!.written;
    // 30 reshapes of a 4,000-endpoint route: ~18 MB for a node sent every one.
    for (let port = 100; port < 130; port++) {
      await rig.t.api.update(SVC, { ...(await rig.t.api.get<Service>(SVC, 'shop', 'web')), spec: service(port).spec });
      await until(() => fast.web()?.ports[0] === port, `the fast node to see port ${port}`);
    }
    const s = hub.sessions.get('slow')!;
    // Never written to above the mark: what the socket holds is the mark plus one frame at most.
    expect(s.peakBuffered).toBeLessThanOrEqual(HIGH_WATER + s.largestFrame);
    // And no more than one window (256 KiB) unacknowledged: the kernel's buffers hide nothing.
    expect(s.written - writtenBefore).toBeLessThanOrEqual(DEFAULT_PUMP_LIMITS.windowBytes + s.largestFrame);
    slow.ws.resume();
    await until(() => slow.web()?.ports[0] === 129 && slow.web()?.endpoints === 4000, 'the slow node to catch up');
    // It got the newest route, not one per change it missed.
    const routes = slow.frames.slice(seen).filter((f) => f.msg.type === 'serviceDelta' && f.msg.route).length;
    expect(routes).toBeLessThan(30);
    expect(fast.frames.filter((f) => f.msg.type === 'serviceDelta' && f.msg.route).length).toBeGreaterThanOrEqual(30);
    expect(slow.view.misses).toEqual([]);
    expect(hub.sessions.get('slow')!.peakBuffered).toBeLessThanOrEqual(HIGH_WATER + s.largestFrame);
    await slow.close();
    await fast.close();
  });
});

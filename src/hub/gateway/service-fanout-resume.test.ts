/**
 * The Service stream's resumption over real WebSockets (`testing/fanout-rig.ts`): a node reconnecting with the
 * revision it holds keeps its routes and gets only the change it missed; another hub process's epoch
 * resumes nothing. Fan-out: `service-fanout.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import { Peer } from './testing/fanout-peer.js';
import { fanoutRig } from './testing/fanout-rig.js';
import { until } from './testing/raw-node.js';

describe('Service stream fan-out: bounded parts, per-node backpressure, coalescing, resumption', () => {
  const rig = fanoutRig();
  const { hub, interested, setEndpoints } = rig;

  it('resumes a reconnecting node from the revision it holds: kept, then only the change it missed', async () => {
    await setEndpoints(1000);
    interested('r');
    const first = await Peer.connect(hub.url, 'r');
    await until(() => first.web()?.endpoints === 1000 && first.web()?.notReady.length === 0, 'the route');
    const at = first.view.resumePoint()!;
    const held = first.view.routes;
    await first.close();

    await setEndpoints(1000, [3]);
    await until(() => hub.stream.revision > at.revision, 'the change');
    const back = await Peer.connect(hub.url, 'r', at, held);
    await until(() => back.web()?.notReady[0] === 'web-3', 'the missed change');
    const set = back.frames[0]!;
    expect(set.msg).toMatchObject({ type: 'serviceSet', services: [], keep: [{ name: 'web' }] });
    const sent = back.frames.reduce((a, f) => a + f.bytes, 0);
    expect(sent).toBeLessThan(1000);
    expect(back.view.misses).toEqual([]);
    expect(back.web()?.endpoints).toBe(1000);
    await back.close();

    // Another hub process's epoch resumes nothing: the whole route again.
    const stranger = await Peer.connect(hub.url, 'r', { epoch: 'another-hub', revision: at.revision });
    await until(() => stranger.web()?.endpoints === 1000, 'the whole route');
    expect(stranger.frames[0]!.msg).toMatchObject({ type: 'serviceSet', keep: [] });
    await stranger.close();
  });
});

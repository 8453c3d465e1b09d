/**
 * The start of the grace after a hub restart moves while the hub is behind on the returning fleet's
 * handshakes, up to its limit; through the node lifecycle controller on a real registry, a node not
 * heard from yet is not marked Unknown while the hub is behind, a node heard from is, and a dead node
 * is marked by listen + limit + grace however busy the hub stays.
 */
import { describe, expect, it } from 'vitest';
import type { Node, Pod } from '../../api/index.js';
import { nodeReadyStatus, typeByKind } from '../../api/index.js';
import { EventRecorder } from '../reconcile/index.js';
import { NodeLifecycleController } from './index.js';
import { StartupCatchUp } from './startup-catch-up.js';
import { controllerRig } from './testing/controller-rig.js';

const NODE = typeByKind('v1', 'Node')!;
const GRACE_S = 10;
const LIMIT_S = 60;

describe('StartupCatchUp', () => {
  it('starts at the listen, moves while behind within the limit, and never before the listen', () => {
    let behind = true;
    const c = new StartupCatchUp(1000, 60_000);
    c.observe(2000);
    expect(c.since).toBe(1000); // not listening yet: nothing to be behind on
    c.accepting(5000, () => behind);
    expect(c.since).toBe(5000);
    c.observe(9000);
    expect(c.since).toBe(9000);
    behind = false;
    c.observe(10_000);
    expect(c.since).toBe(9000);
    behind = true;
    c.observe(65_000);
    expect(c.since).toBe(65_000);
    c.observe(65_001); // past listen + limit
    expect(c.since).toBe(65_000);
  });
});

describe('the node lifecycle while the hub is behind after its start', () => {
  let behind = true;
  const rig = controllerRig({
    prefix: 'edge-catch-up-',
    start: '2026-12-05T08:00:00Z',
    build: ({ api, informers, clock, logger }) =>
      new NodeLifecycleController({
        api,
        nodes: informers.for<Node>('v1', 'Node'),
        pods: informers.for<Pod>('v1', 'Pod'),
        events: new EventRecorder({ api, clock, logger, component: 'test' }),
        clock,
        logger,
        gracePeriodSeconds: GRACE_S,
        evictionTimeoutSeconds: 30,
        startupCatchUpSeconds: LIMIT_S,
        tickMs: 20,
        monotonic: () => 0, // no stall of the loop counts: these tests move their own clock
      }),
  });

  async function readyNode(name: string): Promise<void> {
    const n = await rig.api.create<Node>(NODE, { apiVersion: 'v1', kind: 'Node', metadata: { name } });
    await rig.api.updateStatus(NODE, { ...n, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
  }
  const ready = (name: string): string | undefined => {
    const n = rig.informers.for<Node>('v1', 'Node').get(undefined, name);
    return n && nodeReadyStatus(n);
  };
  async function until(what: string, fn: () => boolean): Promise<void> {
    const end = Date.now() + 8000;
    while (!fn()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  /** Moves the clock by `ms` and waits for two ticks at the new time. */
  async function advance(ms: number): Promise<void> {
    rig.tick(ms);
    const start = Date.now();
    await until('two ticks', () => Date.now() - start > 100);
  }

  it('does not count the wait of nodes not heard from yet, counts the silence of nodes heard from, and ends at its limit', async () => {
    await readyNode('waiting');
    await readyNode('gone');
    await until('both nodes cached', () => ready('waiting') === 'True' && ready('gone') === 'True');
    behind = true;
    rig.ctrl.accepting(() => behind);
    rig.ctrl.heartbeat('gone'); // admitted once after the restart, then silent
    await advance(GRACE_S * 1000 + 2000);
    await until('the silent node heard from since the start marked Unknown', () => ready('gone') === 'Unknown');
    expect(ready('waiting')).toBe('True'); // the hub is behind: its dial may be among those waiting

    behind = false; // caught up: the grace of the rest counts from the last time the hub was behind
    await advance((GRACE_S - 1) * 1000);
    expect(ready('waiting')).toBe('True');
    await advance(2000);
    await until(
      'the node still not heard from marked Unknown after catch-up + grace',
      () => ready('waiting') === 'Unknown',
    );
  });

  it('marks a node never heard from by listen + limit + grace however long the hub stays behind', async () => {
    await readyNode('dead');
    await until('the node cached', () => ready('dead') === 'True');
    behind = true;
    rig.ctrl.accepting(() => behind);
    for (let s = 0; s < LIMIT_S; s += 20) await advance(20_000);
    expect(ready('dead')).toBe('True');
    await advance(GRACE_S * 1000 + 1000);
    await until('the dead node marked Unknown at listen + limit + grace', () => ready('dead') === 'Unknown');
  });
});

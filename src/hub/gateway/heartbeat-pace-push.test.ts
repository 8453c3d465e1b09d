/**
 * The fleet's heartbeat pace reaches nodes over a real hub's gateway with raw nodes (protocol 11's
 * `heartbeatPace`): a hub with a budget of one heartbeat a second re-paces its welcomed nodes as the
 * fleet grows and shrinks, welcomes newcomers at the pace of the moment, and keeps a node too old to
 * be re-paced at the base interval, never sending it a frame it could not decode. The hub's /metrics
 * reports the pace of the moment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEARTBEAT_PACE_PROTOCOL, PROTOCOL_VERSION } from '../../api/index.js';
import { RawNode, nodeInfo, startGatewayHub, until, type TestHub } from './testing/raw-node.js';

async function connect(t: TestHub, name: string, protocol: number): Promise<RawNode> {
  const node = await RawNode.open(t.url, t.token);
  node.send({ type: 'hello', protocol, instanceId: `instance-${name}`, node: nodeInfo(name) });
  await until(() => node.of('welcome').length > 0, `the welcome of ${name}`);
  return node;
}

const paces = (n: RawNode): number[] => n.of('heartbeatPace').map((f) => f.heartbeatIntervalSeconds);

/** The pace the hub's /metrics reports. */
async function scrapedPace(t: TestHub): Promise<number> {
  const res = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${t.hub.auth.adminToken}` } });
  const m = /^edgeplane_gateway_heartbeat_interval_seconds (\S+)$/m.exec(await res.text());
  return Number(m?.[1]);
}

describe('heartbeatPace frames: a fleet past its heartbeat budget beats more slowly', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startGatewayHub({}, { hub: { heartbeatIntervalSeconds: 1, maxHeartbeatsPerSecond: 1 } });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('re-paces the welcomed nodes as the fleet grows and shrinks; an older node stays at the base', async () => {
    const a = await connect(t, 'pace-a', PROTOCOL_VERSION);
    expect(a.of('welcome')[0]!.heartbeatIntervalSeconds).toBe(1); // one node: within the budget

    const b = await connect(t, 'pace-b', PROTOCOL_VERSION);
    // Two nodes at one beat a second each are twice the budget: every 2 s, for the newcomer at once.
    expect(b.of('welcome')[0]!.heartbeatIntervalSeconds).toBe(2);
    await until(() => paces(a).length === 1, 'node a re-paced');
    expect(paces(a)).toEqual([2]);

    const old = await connect(t, 'pace-old', HEARTBEAT_PACE_PROTOCOL - 1);
    expect(old.of('welcome')[0]!.heartbeatIntervalSeconds).toBe(1); // it could not be told to slow down later
    await until(() => paces(a).length === 2 && paces(b).length === 1, 'three nodes: 3 s');
    expect(paces(a)).toEqual([2, 3]);
    expect(paces(b)).toEqual([3]);
    expect(await scrapedPace(t)).toBe(3);

    await b.close();
    await until(() => paces(a).length === 3, 'two nodes again: 2 s');
    await old.close();
    await until(() => paces(a).length === 4, 'one node: the base');
    expect(paces(a)).toEqual([2, 3, 2, 1]);
    expect(await scrapedPace(t)).toBe(1);
    expect(old.of('heartbeatPace')).toEqual([]);
    await a.close();
  });
});

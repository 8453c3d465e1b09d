/**
 * The cluster's hub list reaches nodes (protocol 7's `hubs` frame) over a real hub's gateway with raw
 * nodes: after the welcome and on every change, to nodes of protocol 7 only; an older node never gets
 * a frame it could not decode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HUBS_PROTOCOL_VERSION, PROTOCOL_VERSION } from '../../api/index.js';
import { RawNode, nodeInfo, startGatewayHub, until, type TestHub } from './testing/raw-node.js';

/** A hub list the test changes (on etcd it comes from the hubs' presence records). */
class TestHubList {
  urls: readonly string[] = ['https://10.0.0.1:7400', 'https://10.0.0.2:7400'];
  readonly #listeners: Array<(urls: readonly string[]) => void> = [];
  list = (): readonly string[] => this.urls;
  onChange = (l: (urls: readonly string[]) => void): void => void this.#listeners.push(l);
  set(urls: string[]): void {
    this.urls = urls;
    for (const l of this.#listeners) l(urls);
  }
}

async function connect(t: TestHub, name: string, protocol: number): Promise<RawNode> {
  const node = await RawNode.open(t.url, t.token);
  node.send({ type: 'hello', protocol, instanceId: `instance-${name}`, node: nodeInfo(name) });
  await until(() => node.of('welcome').length > 0, `the welcome of ${name}`);
  return node;
}

describe('hubs frames: nodes learn the hubs of their cluster', () => {
  let t: TestHub;
  const hubs = new TestHubList();
  beforeAll(async () => {
    t = await startGatewayHub({ hubList: hubs });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('sends the list after the welcome and on each change, to protocol-7 nodes only', async () => {
    const now = await connect(t, 'hubs-new', PROTOCOL_VERSION);
    const old = await connect(t, 'hubs-old', HUBS_PROTOCOL_VERSION - 1);
    await until(() => now.of('hubs').length === 1, 'the list after the welcome');
    expect(now.of('hubs')[0]!.urls).toEqual(['https://10.0.0.1:7400', 'https://10.0.0.2:7400']);

    hubs.set(['https://10.0.0.2:7400', 'https://10.0.0.3:7400']);
    await until(() => now.of('hubs').length === 2, 'the changed list');
    expect(now.of('hubs')[1]!.urls).toEqual(['https://10.0.0.2:7400', 'https://10.0.0.3:7400']);
    // The older node got neither: a protocol-6 agent could not have decoded them.
    await until(() => old.of('serviceSet').length + old.of('serviceSync').length > 0, 'the old node synced');
    expect(old.of('hubs')).toEqual([]);
    expect(old.of('welcome')[0]!.protocol).toBe(HUBS_PROTOCOL_VERSION - 1);
    await now.close();
    await old.close();
  });
});

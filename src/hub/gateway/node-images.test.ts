/**
 * Nodes' image lists reach `status.images` of their own Node after `hello` (protocol 6): over a real
 * hub's gateway with raw nodes, and the writer itself over a real store when it loses a race.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGES_PROTOCOL_VERSION, PROTOCOL_VERSION, typeByKind } from '../../api/index.js';
import type { Node } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { InformerFactory } from '../informers/index.js';
import { createTestApi, type TestApi } from '../testing/index.js';
import { NodeImages, statusImages } from './node-images.js';
import { RawNode, nodeInfo, startGatewayHub, until, type TestHub } from './testing/raw-node.js';

const NODE = typeByKind('v1', 'Node')!;

/** Opens a raw node whose hello lists `images`, speaking `protocol`. */
async function connect(t: TestHub, name: string, images: string[], protocol = PROTOCOL_VERSION): Promise<RawNode> {
  const node = await RawNode.open(t.url, t.token);
  node.send({ type: 'hello', protocol, instanceId: `instance-${name}`, node: { ...nodeInfo(name), images } });
  await until(() => node.of('serviceSet').length > 0, `the welcome of ${name}`);
  return node;
}

describe('images frames: a node keeps its own Node.status.images current', () => {
  let t: TestHub;
  const imagesOf = async (name: string): Promise<string[]> =>
    ((await t.hub.api.get<Node>(NODE, undefined, name)).status?.images ?? []).flatMap((i) => i.names);

  beforeAll(async () => {
    t = await startGatewayHub();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('replaces the list of the hello with each list the node sends, the newest winning; other Nodes untouched', async () => {
    const a = await connect(t, 'img-a', ['hello.wasm']);
    const b = await connect(t, 'img-b', ['other.wasm']);
    expect(await imagesOf('img-a')).toEqual(['hello.wasm']);

    a.send({ type: 'images', images: ['hello.wasm', 'hello-c.wasm'] });
    await until(async () => (await imagesOf('img-a')).length === 2, 'the pulled image on the Node');
    expect(await imagesOf('img-a')).toEqual(['hello.wasm', 'hello-c.wasm']);

    // A burst (pulls, then a removal): what the Node ends with is the last list.
    for (let i = 0; i < 20; i++) a.send({ type: 'images', images: [`burst-${i}.wasm`] });
    a.send({ type: 'images', images: ['hello-c.wasm'] });
    await until(async () => (await imagesOf('img-a')).join() === 'hello-c.wasm', 'the last list of the burst');

    // The frame names no node: b's Node is b's own business.
    expect(await imagesOf('img-b')).toEqual(['other.wasm']);
    expect(a.of('error')).toEqual([]);
    await a.close();
    await b.close();
  });

  it('refuses the frame from a session of an older protocol', async () => {
    const old = await connect(t, 'img-old', ['old.wasm'], IMAGES_PROTOCOL_VERSION - 1);
    old.send({ type: 'images', images: ['new.wasm'] });
    await until(() => old.of('error').length > 0, 'the refusal');
    expect(old.of('error')[0]!.message).toBe(
      `"images" is a protocol ${IMAGES_PROTOCOL_VERSION} frame; this session speaks protocol ${IMAGES_PROTOCOL_VERSION - 1}`,
    );
    expect(await imagesOf('img-old')).toEqual(['old.wasm']);
    await old.close();
  });
});

describe('NodeImages writer', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await createTestApi();
  });
  afterAll(async () => {
    await t.close();
  });

  it('retries on the fresh Node when its cached copy lost a race with another status write, and writes nothing when the Node already says it', async () => {
    const created = await t.api.create<Node>(NODE, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'raced' },
      spec: {},
    });
    const informers = new InformerFactory(t.api, silentLogger());
    const nodes = informers.for<Node>('v1', 'Node');
    // The cache holds the Node as created; a heartbeat then writes its status behind the cache's back.
    nodes.observe(created);
    const beat = await t.api.updateStatus<Node>(NODE, {
      ...created,
      status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2026-01-01T00:00:00Z' }] },
    });
    const writer = new NodeImages({ api: t.api, nodes, logger: silentLogger() });

    await writer.report('raced', ['a.wasm', 'b.wasm']);
    const after = await t.api.get<Node>(NODE, undefined, 'raced');
    expect(after.status?.images).toEqual(statusImages(['a.wasm', 'b.wasm']));
    // The heartbeat's condition survived: the retry wrote onto the fresh object.
    expect(after.status?.conditions).toEqual(beat.status?.conditions);
    expect(nodes.get(undefined, 'raced')?.metadata.resourceVersion).toBe(after.metadata.resourceVersion);

    await writer.report('raced', ['a.wasm', 'b.wasm']);
    expect((await t.api.get<Node>(NODE, undefined, 'raced')).metadata.resourceVersion).toBe(
      after.metadata.resourceVersion,
    );
    // A Node deleted meanwhile is no error.
    await writer.report('gone', ['x.wasm']);
  });
});

/**
 * The node keeps the hub's copy of its image list current after `hello`: the report itself (when it
 * sends, what it coalesces, what it leaves alone), and an agent that pulls an image for a pod and
 * reports it on the same session.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { IMAGES_PROTOCOL_VERSION, type NodeImages } from '../api/index.js';
import { silentLogger } from '../platform/index.js';
import { ImageReport } from './image-report.js';
import { testPod, waitFor } from './testing/fake-hub.js';
import { FakeRuntime } from './testing/fake-runtime.js';
import { AgentRig } from './testing/test-agents.js';

/** A report over a list the test edits, recording what it sends. */
function report(opts: { up?: boolean } = {}): { r: ImageReport; images: string[]; sent: string[][] } {
  const images: string[] = [];
  const sent: string[][] = [];
  const r = new ImageReport({
    list: () => [...images],
    send: (f: NodeImages) => {
      if (opts.up === false) return false;
      sent.push(f.images);
      return true;
    },
    logger: silentLogger(),
    coalesceMs: 20,
  });
  return { r, images, sent };
}

describe('ImageReport', () => {
  it('sends nothing while the hub holds the hello list, then the whole list once it changed', () => {
    const { r, images, sent } = report();
    images.push('a.wasm');
    r.offered(['a.wasm']);
    r.connected(IMAGES_PROTOCOL_VERSION);
    expect(r.check()).toBe(false);
    images.push('b.wasm');
    expect(r.check()).toBe(true);
    expect(sent).toEqual([['a.wasm', 'b.wasm']]);
    // The same images in another order are the same list; a removal is a change.
    images.reverse();
    expect(r.check()).toBe(false);
    images.splice(images.indexOf('a.wasm'), 1);
    expect(r.check()).toBe(true);
    expect(sent.at(-1)).toEqual(['b.wasm']);
    r.stop();
  });

  it('coalesces the checks asked for within its window into one frame', async () => {
    const { r, images, sent } = report();
    r.offered([]);
    r.connected(IMAGES_PROTOCOL_VERSION);
    for (let i = 0; i < 10; i++) {
      images.push(`img-${i}.wasm`);
      r.changed();
    }
    await waitFor(() => sent.length === 1, 2000, 'the coalesced frame');
    expect(sent[0]).toHaveLength(10);
    // Unchanged since: a check finds nothing to send; the next change goes in a frame of its own.
    r.changed();
    images.push('img-10.wasm');
    r.changed();
    await waitFor(() => sent.length === 2, 2000, 'the next frame');
    expect(sent[1]).toHaveLength(11);
    r.stop();
  });

  it('sends nothing to a hub of an older protocol, nor while disconnected, and retries a frame that could not go', () => {
    const older = report();
    older.images.push('a.wasm');
    older.r.offered([]);
    older.r.connected(IMAGES_PROTOCOL_VERSION - 1);
    expect(older.r.check()).toBe(false);
    expect(older.sent).toEqual([]);

    const down = report({ up: false });
    down.images.push('a.wasm');
    down.r.offered([]);
    down.r.connected(IMAGES_PROTOCOL_VERSION);
    expect(down.r.check()).toBe(false);
    down.r.disconnected();
    expect(down.r.check()).toBe(false);
  });
});

describe('Agent image report', () => {
  let rig: AgentRig | undefined;
  afterEach(async () => {
    await rig?.stop();
  });

  it('reports an image pulled for a pod on the session it was welcomed on', async () => {
    rig = await AgentRig.start('edge-node-images-');
    const image = 'edgeplane.hub/hello.wasm@sha256:' + 'b'.repeat(64);
    await rig.startAgent({
      runtimes: [new FakeRuntime()],
      backoff: { session: { initialMs: 50, maxMs: 200 }, statusBatchMs: 10 },
    });
    const h = rig.hub;
    await waitFor(() => h.messages('hello')[0], 5000, 'hello');
    expect(h.messages('hello')[0]!.node.images).toEqual([]);
    h.setPods('node-a', [testPod('web', { image })]);
    await waitFor(() => h.lastStatus('web')?.phase === 'Running', 5000, 'web running');
    await waitFor(() => h.messages('images').length > 0, 5000, 'the image list');
    expect(h.messages('images')).toEqual([{ type: 'images', images: [image] }]);
    expect(h.messages('hello')).toHaveLength(1);
  });
});

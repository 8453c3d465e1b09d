/** The hub's resume plan (`pod-resume.ts`): what goes as changes, and when the whole set goes instead. */
import { describe, expect, it } from 'vitest';
import { HubToNode, decodeFrame, encodePodPosition, podSetDigest } from '../../api/index.js';
import type { Pod } from '../../api/index.js';
import { DEFAULT_HUB_FRAME_LIMITS } from './pod-frames.js';
import { planPodResume, podHash } from './pod-resume.js';

const pod = (i: number, image = 'a.wasm'): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `p-${i}`, namespace: 'default', uid: `uid-${i}` },
  spec: { nodeName: 'n', containers: [{ name: 'c', image }] },
});
const positionOf = (pods: Pod[]): string => encodePodPosition(new Map(pods.map((p) => [p.metadata.uid!, podHash(p)])));
const set = Array.from({ length: 10 }, (_, i) => pod(i));

describe('planPodResume', () => {
  it('sends the pods changed or new and the uids gone, with the digest of the set', () => {
    const held = positionOf(set);
    const desired = [...set.slice(1, 9), pod(9, 'b.wasm'), pod(10)];
    const plan = planPodResume(desired, held, DEFAULT_HUB_FRAME_LIMITS);
    if (plan.kind !== 'resume') throw new Error(plan.why);
    const msg = decodeFrame(HubToNode, plan.frame);
    if (msg.type !== 'podResume') throw new Error(msg.type);
    expect(msg.pods.map((p) => p.metadata.name)).toEqual(['p-9', 'p-10']);
    expect(msg.remove).toEqual(['uid-0']);
    expect(msg.digest).toBe(podSetDigest(new Map(desired.map((p) => [p.metadata.uid!, podHash(p)]))));
  });

  it('does not count a status change as a change', () => {
    const withStatus = set.map((p): Pod => ({ ...p, status: { phase: 'Running', message: 'moved on' } }));
    const plan = planPodResume(withStatus, positionOf(set), DEFAULT_HUB_FRAME_LIMITS);
    expect(plan).toMatchObject({ kind: 'resume', upserts: 0, removes: 0 });
  });

  it('sends the whole set without a position, with a position that does not read, or when most pods changed', () => {
    expect(planPodResume(set, undefined, DEFAULT_HUB_FRAME_LIMITS)).toEqual({
      kind: 'whole',
      why: 'no position offered',
    });
    const bad = planPodResume(set, 'uid-1:short', DEFAULT_HUB_FRAME_LIMITS);
    expect(bad.kind === 'whole' && bad.why).toContain('is not uid:hash');
    const changed = set.map((p, i) => (i < 6 ? pod(i, 'b.wasm') : p));
    expect(planPodResume(changed, positionOf(set), DEFAULT_HUB_FRAME_LIMITS)).toEqual({
      kind: 'whole',
      why: '6 of 10 pods changed',
    });
  });

  it('sends the whole set when the resume would not fit one frame', () => {
    const limits = { ...DEFAULT_HUB_FRAME_LIMITS, maxBytes: 200 };
    const plan = planPodResume([...set, pod(10)], positionOf(set), limits);
    expect(plan.kind === 'whole' && plan.why).toContain('does not fit one frame');
  });
});

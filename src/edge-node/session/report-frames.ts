/** This node's pod reports (`podStatus`, `podGone`) cut into frames the hub accepts. */
import { MAX_STATUS_PODS_PER_FRAME, encodeFrame, frameWithinBounds } from '../../api/index.js';
import type { NodeToHub } from '../../api/index.js';

type PodReport = Extract<NodeToHub, { type: 'podStatus' | 'podGone' }>;

/** The frames of `msg`: at most `MAX_STATUS_PODS_PER_FRAME` pods each, a batch over the hub's value bound halved. */
export function reportFrames(msg: PodReport): Buffer[] {
  const frames: Buffer[] = [];
  for (let i = 0; i < msg.pods.length; i += MAX_STATUS_PODS_PER_FRAME)
    batchFrames(msg, msg.pods.slice(i, i + MAX_STATUS_PODS_PER_FRAME), frames);
  return frames;
}

function batchFrames<M extends PodReport>(msg: M, pods: M['pods'], out: Buffer[]): void {
  const frame = encodeFrame({ ...msg, pods });
  if (pods.length > 1 && !frameWithinBounds(frame)) {
    const half = Math.ceil(pods.length / 2);
    batchFrames(msg, pods.slice(0, half) as M['pods'], out);
    batchFrames(msg, pods.slice(half) as M['pods'], out);
    return;
  }
  out.push(frame);
}

/**
 * Frames of pods for a node, checked against the bounds the node decodes with (`MAX_HUB_FRAME_BYTES`
 * is its WebSocket `maxPayload`, `MAX_HUB_FRAME_VALUES` its value bound). A frame past either would
 * make the node close or refuse it and redial into the same frame forever, so:
 * - a `podSync` that does not fit one frame is split into parts (`more: true` on all but the last);
 * - a pod that cannot fit any frame on its own is left out and returned as refused, with the reason,
 *   for the gateway to say in an Event; so are pods past the `MAX_SYNC_PODS` a node takes.
 */
import type { HubToNode, Pod } from '../../api/index.js';
import { MAX_HUB_FRAME_BYTES, MAX_HUB_FRAME_VALUES, MAX_SYNC_PODS, encodeFrame, frameWithinBounds } from '../../api/index.js';

/** What a node accepts from the hub (tests shrink it). */
export interface HubFrameLimits {
  maxBytes: number;
  maxValues: number;
  maxPods: number;
}

export const DEFAULT_HUB_FRAME_LIMITS: HubFrameLimits = { maxBytes: MAX_HUB_FRAME_BYTES, maxValues: MAX_HUB_FRAME_VALUES, maxPods: MAX_SYNC_PODS };

/** A pod that could not be sent, and why (a sentence for an Event). */
export interface RefusedPod {
  pod: Pod;
  reason: 'PodTooLargeForNode' | 'TooManyPodsForNode';
  message: string;
}

const mib = (n: number): string => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

/** Why `frame` does not fit, or undefined when it does. */
function misfit(frame: Buffer, limits: HubFrameLimits): string | undefined {
  if (frame.byteLength > limits.maxBytes) return `encoded, it takes ${mib(frame.byteLength)}, more than the ${mib(limits.maxBytes)} a node accepts in one frame`;
  if (!frameWithinBounds(frame, { maxValues: limits.maxValues })) return `it holds more than the ${limits.maxValues} values (or nesting deeper than a node accepts) in one frame`;
  return undefined;
}

/** The `podUpsert` frame of one pod, or why it cannot be sent. */
export function podUpsertFrame(pod: Pod, limits: HubFrameLimits = DEFAULT_HUB_FRAME_LIMITS): { frame: Buffer } | { refused: RefusedPod } {
  const frame = encodeFrame({ type: 'podUpsert', pod } satisfies HubToNode);
  const why = misfit(frame, limits);
  return why ? { refused: { pod, reason: 'PodTooLargeForNode', message: `pod was not sent to its node: ${why}` } } : { frame };
}

/**
 * The frames of a node's whole desired set: one frame when it fits (the usual case, and all an older
 * node understands), else parts packed up to the byte bound, each verified and halved if it still
 * holds too many values. Always at least one frame, so the node learns its set even when it is empty.
 */
export function podSyncFrames(pods: Pod[], limits: HubFrameLimits = DEFAULT_HUB_FRAME_LIMITS): { frames: Buffer[]; refused: RefusedPod[] } {
  const refused: RefusedPod[] = [];
  let wanted = pods;
  if (pods.length > limits.maxPods) {
    wanted = pods.slice(0, limits.maxPods);
    const message = `pod was not sent to its node: ${pods.length} pods are bound to the node, and a node takes at most ${limits.maxPods}`;
    for (const pod of pods.slice(limits.maxPods)) refused.push({ pod, reason: 'TooManyPodsForNode', message });
  }
  const whole = encodeFrame({ type: 'podSync', pods: wanted } satisfies HubToNode);
  if (!misfit(whole, limits)) return { frames: [whole], refused };

  // Each pod measured in a part of its own (the envelope included, so sums over-estimate: safe).
  const sized: Array<{ pod: Pod; bytes: number }> = [];
  for (const pod of wanted) {
    const alone = encodeFrame({ type: 'podSync', pods: [pod], more: true } satisfies HubToNode);
    const why = misfit(alone, limits);
    if (why) refused.push({ pod, reason: 'PodTooLargeForNode', message: `pod was not sent to its node: ${why}` });
    else sized.push({ pod, bytes: alone.byteLength });
  }
  const groups: Pod[][] = [];
  let group: Pod[] = [];
  let bytes = 0;
  for (const s of sized) {
    if (group.length > 0 && bytes + s.bytes > limits.maxBytes) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(s.pod);
    bytes += s.bytes;
  }
  groups.push(group);
  const frames: Buffer[] = [];
  const emit = (part: Pod[], last: boolean): void => {
    const frame = encodeFrame(last ? { type: 'podSync', pods: part } : { type: 'podSync', pods: part, more: true });
    // A single pod fitted alone above; a group over the value bound is halved until it fits.
    if (part.length > 1 && misfit(frame, limits)) {
      const half = Math.ceil(part.length / 2);
      emit(part.slice(0, half), false);
      emit(part.slice(half), last);
      return;
    }
    frames.push(frame);
  };
  groups.forEach((g, i) => emit(g, i === groups.length - 1));
  return { frames, refused };
}

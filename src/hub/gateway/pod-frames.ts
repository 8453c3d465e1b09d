/**
 * Frames of pods for a node, checked against the bounds the node decodes with (`MAX_HUB_FRAME_BYTES`
 * is its WebSocket `maxPayload`, `MAX_HUB_FRAME_VALUES` its value bound). A frame past either would
 * make the node close or refuse it and redial into the same frame forever, so:
 * - a `podSync` that does not fit one frame is split into parts (`more: true` on all but the last);
 * - a pod that cannot fit any frame on its own is left out and returned as refused, with the reason,
 *   for the gateway to say in an Event; so are pods past the `MAX_SYNC_PODS` a node takes.
 */
import type { HubToNode, Pod } from '../../api/index.js';
import {
  MAX_HUB_FRAME_BYTES,
  MAX_HUB_FRAME_VALUES,
  MAX_SYNC_PODS,
  encodeFrame,
  frameWithinBounds,
} from '../../api/index.js';

/** Fields of a pod whose change the node must hear about (in `src/api`, beside the hash made of them). */
export { nodeRelevant } from '../../api/index.js';

/** Tells a node to stop and forget a pod. */
export function podDeleteMessage(p: Pod): Extract<HubToNode, { type: 'podDelete' }> {
  return {
    type: 'podDelete',
    pod: { namespace: p.metadata.namespace ?? '', name: p.metadata.name ?? '', uid: p.metadata.uid ?? '' },
  };
}

/** What a node accepts from the hub (tests shrink it). */
export interface HubFrameLimits {
  maxBytes: number;
  maxValues: number;
  maxPods: number;
}

export const DEFAULT_HUB_FRAME_LIMITS: HubFrameLimits = {
  maxBytes: MAX_HUB_FRAME_BYTES,
  maxValues: MAX_HUB_FRAME_VALUES,
  maxPods: MAX_SYNC_PODS,
};

/** A pod that could not be sent, and why (a sentence for an Event). */
export interface RefusedPod {
  pod: Pod;
  reason: 'PodTooLargeForNode' | 'TooManyPodsForNode';
  message: string;
}

const mib = (n: number): string => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

/** Why `frame` does not fit, or undefined when it does. */
export function misfit(frame: Buffer, limits: HubFrameLimits): string | undefined {
  if (frame.byteLength > limits.maxBytes)
    return `encoded, it takes ${mib(frame.byteLength)}, more than the ${mib(limits.maxBytes)} a node accepts in one frame`;
  if (!frameWithinBounds(frame, { maxValues: limits.maxValues }))
    return `it holds more than the ${limits.maxValues} values (or nesting deeper than a node accepts) in one frame`;
  return undefined;
}

/** The `podUpsert` frame of one pod, or why it cannot be sent. */
export function podUpsertFrame(
  pod: Pod,
  limits: HubFrameLimits = DEFAULT_HUB_FRAME_LIMITS,
  /** The pod's hash, for a node of protocol 9 and later (`pod-resume.ts`). */
  hash?: string,
): { frame: Buffer } | { refused: RefusedPod } {
  const frame = encodeFrame({ type: 'podUpsert', pod, ...(hash !== undefined ? { hash } : {}) } satisfies HubToNode);
  const why = misfit(frame, limits);
  return why
    ? { refused: { pod, reason: 'PodTooLargeForNode', message: `pod was not sent to its node: ${why}` } }
    : { frame };
}

// A podSync frame is assembled around pods encoded once each (msgpack values are self-contained
// without records, so concatenating them makes a valid array): measuring every pod and then encoding
// the parts again would double the time the event loop spends on a large set.
const str = (t: string): number[] => [0xa0 + t.length, ...Buffer.from(t)];
const TAIL_MORE = Buffer.from([...str('more'), 0xc3]);

/** A pod's own encoding, and its hash when the node is stamped with hashes (protocol 9). */
interface EncodedPod {
  bytes: Buffer;
  hash?: string;
}

/** `{type: 'podSync', pods: [...], more?: true, hashes?: [...]}` from the pods' own encodings. */
function assembleSync(pods: EncodedPod[], more: boolean, hashed: boolean): Buffer {
  const keys = 2 + (more ? 1 : 0) + (hashed ? 1 : 0);
  const head = Buffer.from([0x80 + keys, ...str('type'), ...str('podSync'), ...str('pods'), 0xdd, 0, 0, 0, 0]);
  head.writeUInt32BE(pods.length, head.length - 4);
  const parts = [head, ...pods.map((p) => p.bytes)];
  if (more) parts.push(TAIL_MORE);
  if (hashed) parts.push(Buffer.from(str('hashes')), encodeFrame(pods.map((p) => p.hash ?? '')));
  return Buffer.concat(parts);
}

/**
 * The frames of a node's whole desired set: one frame when it fits (the usual case, and all an older
 * node understands), else parts packed up to the byte bound, each verified and halved if it still
 * holds too many values. Always at least one frame, so the node learns its set even when it is empty.
 */
export function podSyncFrames(
  pods: Pod[],
  limits: HubFrameLimits = DEFAULT_HUB_FRAME_LIMITS,
  /** Each pod's hash, for a node of protocol 9 and later (`pod-resume.ts`); absent for older nodes. */
  hashOf?: (pod: Pod) => string,
): { frames: Buffer[]; refused: RefusedPod[] } {
  const hashed = hashOf !== undefined;
  const refused: RefusedPod[] = [];
  let wanted = pods;
  if (pods.length > limits.maxPods) {
    wanted = pods.slice(0, limits.maxPods);
    const message = `pod was not sent to its node: ${pods.length} pods are bound to the node, and a node takes at most ${limits.maxPods}`;
    for (const pod of pods.slice(limits.maxPods)) refused.push({ pod, reason: 'TooManyPodsForNode', message });
  }
  const encoded: EncodedPod[] = [];
  for (const pod of wanted) {
    const one: EncodedPod = { bytes: encodeFrame(pod), ...(hashOf ? { hash: hashOf(pod) } : {}) };
    const why = misfit(assembleSync([one], true, hashed), limits);
    if (why) refused.push({ pod, reason: 'PodTooLargeForNode', message: `pod was not sent to its node: ${why}` });
    else encoded.push(one);
  }
  // A hash adds its string (17 bytes) to the frame besides the pod's own encoding.
  const perPod = hashed ? 17 : 0;
  const envelope = assembleSync([], true, hashed).byteLength;
  const frames: Buffer[] = [];
  const emit = (part: EncodedPod[], last: boolean): void => {
    const frame = assembleSync(part, !last, hashed);
    // A single pod fitted alone above; a part over the value bound is halved until it fits.
    if (part.length > 1 && misfit(frame, limits)) {
      const half = Math.ceil(part.length / 2);
      emit(part.slice(0, half), false);
      emit(part.slice(half), last);
      return;
    }
    frames.push(frame);
  };
  let part: EncodedPod[] = [];
  let bytes = envelope;
  for (const pod of encoded) {
    const size = pod.bytes.byteLength + perPod;
    if (part.length > 0 && bytes + size > limits.maxBytes) {
      emit(part, false);
      part = [];
      bytes = envelope;
    }
    part.push(pod);
    bytes += size;
  }
  emit(part, true);
  return { frames, refused };
}

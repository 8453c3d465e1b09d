/**
 * The hub's half of pod-set resumption (protocol 9, `wire-pod-resume.ts`): the hash each pod is
 * stamped with, and the plan for a node that offered its position on reconnect — the changes since
 * (a `podResume`), or the whole set when that is not worth it or not possible.
 *
 * Fallback rules (the whole `podSync` is sent):
 * - the node offered no position (a new agent process, an older hub before it, or an older agent);
 * - the position does not read;
 * - more than half of the desired set changed (a whole set then costs about as much, and is simpler);
 * - the node's set is bigger than it takes, or the resume would not fit one frame (the whole set
 *   splits and refuses pods with an Event; a resume does not).
 */
import type { HubToNode, Pod } from '../../api/index.js';
import { decodePodPosition, encodeFrame, errorMessage, podHash, podSetDigest } from '../../api/index.js';
import { misfit, type HubFrameLimits } from './pod-frames.js';

/** The hash each pod is stamped with (in `src/api`, so that a restarted agent can check its local state against it). */
export { podHash };

/** What to send a node on welcome. */
export type PodSetPlan =
  { kind: 'resume'; frame: Buffer; upserts: number; removes: number } | { kind: 'whole'; why: string };

/**
 * The resume of `desired` (the node's set now, as its protocol gets it) from the `position` it
 * offered, or why the whole set goes instead.
 */
export function planPodResume(desired: Pod[], position: string | undefined, limits: HubFrameLimits): PodSetPlan {
  if (position === undefined) return { kind: 'whole', why: 'no position offered' };
  let held: Map<string, string>;
  try {
    held = decodePodPosition(position);
  } catch (err) {
    return { kind: 'whole', why: errorMessage(err) };
  }
  if (desired.length > limits.maxPods) return { kind: 'whole', why: 'more pods than the node takes' };
  const hashes = new Map<string, string>();
  const pods: Pod[] = [];
  const podHashes: string[] = [];
  for (const pod of desired) {
    const uid = pod.metadata.uid ?? '';
    const hash = podHash(pod);
    hashes.set(uid, hash);
    if (held.get(uid) === hash) continue;
    pods.push(pod);
    podHashes.push(hash);
  }
  const remove = [...held.keys()].filter((uid) => !hashes.has(uid));
  if (pods.length > desired.length / 2 && pods.length > 0)
    return { kind: 'whole', why: `${pods.length} of ${desired.length} pods changed` };
  const msg: HubToNode = { type: 'podResume', pods, hashes: podHashes, remove, digest: podSetDigest(hashes) };
  const frame = encodeFrame(msg);
  const why = misfit(frame, limits);
  if (why) return { kind: 'whole', why: `the resume does not fit one frame: ${why}` };
  return { kind: 'resume', frame, upserts: pods.length, removes: remove.length };
}

/**
 * The node's half of pod-set resumption (protocol 9, `wire-pod-resume.ts`): the pods the hub sent on
 * this agent process's sessions, each with the hash the hub stamped it with. A redial offers them as
 * the position (`hello.pods`); the hub's `podResume` is applied to them and handed on as one whole
 * `podSync`, so the agent sees the same shape as after a full sync.
 *
 * The position is offered only to a hub whose last welcome spoke protocol 9 or later (an older hub's
 * strict schema would refuse the field), and dropped after a dial that ended without a welcome (the
 * next hub of the list may be older). A pod sent without a hash leaves the position (the hub then
 * sends it again); a whole `podSync` without hashes empties it.
 */
import { POD_RESUME_PROTOCOL, encodePodPosition, podSetDigest } from '../../api/index.js';
import type { HubPodResume, HubToNode, Pod, PodRef } from '../../api/index.js';

type PodSync = Extract<HubToNode, { type: 'podSync' }>;

/** What a `podResume` made: the whole set to apply, or why the hub must send it whole (`podResync`). */
export type ResumeResult = { kind: 'whole'; sync: PodSync } | { kind: 'resync'; reason: string };

/** The pods this agent was sent, with their hashes. */
export class PodPosition {
  readonly #held = new Map<string, { pod: Pod; hash: string }>();
  #hubProtocol = 0;

  /** The hub welcomed this node speaking `protocol`. */
  welcomed(protocol: number): void {
    this.#hubProtocol = protocol;
  }

  /** A dial ended without a welcome: the next hub may be older, so no position is offered to it. */
  unwelcomed(): void {
    this.#hubProtocol = 0;
  }

  /** The position to offer in `hello`, if any. */
  offer(): string | undefined {
    if (this.#hubProtocol < POD_RESUME_PROTOCOL || this.#held.size === 0) return undefined;
    return encodePodPosition(new Map([...this.#held].map(([uid, h]) => [uid, h.hash])));
  }

  /** A whole set arrived (all its parts). */
  synced(sync: PodSync): void {
    this.#held.clear();
    const hashes = sync.hashes;
    if (hashes?.length !== sync.pods.length) return;
    sync.pods.forEach((pod, i) => this.#held.set(pod.metadata.uid ?? '', { pod, hash: hashes[i]! }));
  }

  /** One pod added or changed. */
  upserted(pod: Pod, hash: string | undefined): void {
    const uid = pod.metadata.uid ?? '';
    if (hash === undefined) this.#held.delete(uid);
    else this.#held.set(uid, { pod, hash });
  }

  /** One pod removed. */
  deleted(ref: PodRef): void {
    this.#held.delete(ref.uid);
  }

  /** Applies a resume to the pods held: the whole set it makes, or why it is not the hub's. */
  resume(msg: HubPodResume): ResumeResult {
    if (msg.hashes.length !== msg.pods.length)
      return { kind: 'resync', reason: `podResume has ${msg.pods.length} pods but ${msg.hashes.length} hashes` };
    for (const uid of msg.remove) this.#held.delete(uid);
    msg.pods.forEach((pod, i) => this.#held.set(pod.metadata.uid ?? '', { pod, hash: msg.hashes[i]! }));
    const digest = podSetDigest(new Map([...this.#held].map(([uid, h]) => [uid, h.hash])));
    if (digest !== msg.digest) {
      // What is held is not what the hub holds for this node: forget it, the whole set follows.
      this.#held.clear();
      return { kind: 'resync', reason: `resumed pod set has digest ${digest}, the hub's is ${msg.digest}` };
    }
    return { kind: 'whole', sync: { type: 'podSync', pods: [...this.#held.values()].map((h) => h.pod) } };
  }
}

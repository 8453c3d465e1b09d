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
 *
 * Across an agent restart (`pod-position-file.ts`): the stamps and the hub's protocol are kept in the
 * data dir, but what a new process holds is its local state's pods, not what the last process was
 * sent. So a kept stamp counts only for a pod that local state still has and that still hashes to it
 * (`restore`); the others are left out, and the hub sends those pods again (or drops them).
 */
import { POD_RESUME_PROTOCOL, encodePodPosition, podHash, podSetDigest } from '../../api/index.js';
import type { HubPodResume, HubToNode, Pod, PodRef } from '../../api/index.js';

type PodSync = Extract<HubToNode, { type: 'podSync' }>;

/** What a `podResume` made: the whole set to apply, or why the hub must send it whole (`podResync`). */
export type ResumeResult = { kind: 'whole'; sync: PodSync } | { kind: 'resync'; reason: string };

/** What a position is kept as between agent processes: the hub's protocol and the stamps, by uid. */
export interface SavedPosition {
  hubProtocol: number;
  hashes: ReadonlyMap<string, string>;
}

/** What `restore` kept of a saved position, and why the rest was left out. */
export interface RestoredPosition {
  /** Stamps of pods local state holds as they were stamped (offered). */
  kept: number;
  /** Stamps of pods local state no longer has. */
  missing: number;
  /** Stamps of pods local state holds in another version (a write the crash cut off). */
  stale: number;
}

/** The pods this agent was sent, with their hashes. */
export class PodPosition {
  readonly #held = new Map<string, { pod: Pod; hash: string }>();
  #hubProtocol = 0;
  readonly #listeners = new Set<() => void>();

  /** Calls `listener` after every change of the position (the agent keeps it on disk). */
  onChange(listener: () => void): void {
    this.#listeners.add(listener);
  }

  /** The hub welcomed this node speaking `protocol`. */
  welcomed(protocol: number): void {
    if (this.#hubProtocol === protocol) return;
    this.#hubProtocol = protocol;
    this.#changed();
  }

  /** A dial ended without a welcome: the next hub may be older, so no position is offered to it. */
  unwelcomed(): void {
    this.welcomed(0);
  }

  /** The position as it is kept between agent processes. */
  saved(): SavedPosition {
    return { hubProtocol: this.#hubProtocol, hashes: new Map([...this.#held].map(([uid, h]) => [uid, h.hash])) };
  }

  /**
   * A new agent process takes back a `saved` position: each stamp counts only if `local` (the pods of
   * local state, which a resume is applied to) holds its pod as it was stamped.
   */
  restore(saved: SavedPosition, local: readonly Pod[]): RestoredPosition {
    const byUid = new Map(local.map((p) => [p.metadata.uid ?? '', p]));
    const out: RestoredPosition = { kept: 0, missing: 0, stale: 0 };
    this.#held.clear();
    this.#hubProtocol = saved.hubProtocol;
    for (const [uid, hash] of saved.hashes) {
      const pod = byUid.get(uid);
      if (!pod) out.missing += 1;
      else if (podHash(pod) !== hash) out.stale += 1;
      else {
        this.#held.set(uid, { pod, hash });
        out.kept += 1;
      }
    }
    return out;
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
    if (hashes?.length === sync.pods.length)
      sync.pods.forEach((pod, i) => this.#held.set(pod.metadata.uid ?? '', { pod, hash: hashes[i]! }));
    this.#changed();
  }

  /** One pod added or changed. */
  upserted(pod: Pod, hash: string | undefined): void {
    const uid = pod.metadata.uid ?? '';
    if (hash === undefined) this.#held.delete(uid);
    else this.#held.set(uid, { pod, hash });
    this.#changed();
  }

  /** One pod removed. */
  deleted(ref: PodRef): void {
    if (this.#held.delete(ref.uid)) this.#changed();
  }

  /** Applies a resume to the pods held: the whole set it makes, or why it is not the hub's. */
  resume(msg: HubPodResume): ResumeResult {
    if (msg.hashes.length !== msg.pods.length)
      return { kind: 'resync', reason: `podResume has ${msg.pods.length} pods but ${msg.hashes.length} hashes` };
    for (const uid of msg.remove) this.#held.delete(uid);
    msg.pods.forEach((pod, i) => this.#held.set(pod.metadata.uid ?? '', { pod, hash: msg.hashes[i]! }));
    const digest = podSetDigest(new Map([...this.#held].map(([uid, h]) => [uid, h.hash])));
    // What is held is not what the hub holds for this node: forget it, the whole set follows.
    if (digest !== msg.digest) this.#held.clear();
    this.#changed();
    if (digest !== msg.digest)
      return { kind: 'resync', reason: `resumed pod set has digest ${digest}, the hub's is ${msg.digest}` };
    return { kind: 'whole', sync: { type: 'podSync', pods: [...this.#held.values()].map((h) => h.pod) } };
  }

  #changed(): void {
    for (const l of this.#listeners) l();
  }
}

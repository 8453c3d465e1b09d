/**
 * What the node lifecycle controller knows of each node's liveness, held in memory (never written one
 * by one): when it was last heard from on its session, whether it has a live session, and signs of life
 * from a node the hub has not admitted yet.
 *
 * After a hub restart the whole fleet redials at once, and admission (bounded: `gateway/admission.ts`)
 * takes a while to let 5,000 nodes back in: some wait in its queue, the rest are told `Busy` and when
 * to come back. Each such node has already proven who it is (the TLS handshake verified its client
 * certificate, and its key is still bound to its Node) and that it is alive (it just dialed). Counting
 * only admitted sessions' heartbeats marked the last nodes let in NotReady, and after the eviction
 * timeout their pods were deleted and replaced (issue 14's storm at 5,000 nodes: 5 pods, one node).
 * So, besides heartbeats:
 * - a certified node waiting in admission's queue counts as heard from for as long as its socket is
 *   open (the session's own pings drop a dead peer, and the queue drains);
 * - a certified node told `Busy` counts as heard from until the time it was told to come back: the
 *   hub asked it to stay away that long. Its silence counts from then (plus the grace period).
 * Both need a verified certificate: a token (plain-HTTP) hello names a node nobody proved, and only
 * one dial's worth of time is given per sign, so a node that stops dialing goes NotReady after at
 * most one retry delay (bounded by admission's `maxRetryMs`) plus the grace period.
 */

/** Signs of life per node: heartbeats of admitted sessions, and those of certified nodes awaiting admission. */
export class NodeLiveness {
  /** When each node was last heard on an admitted session (or when that session closed). */
  readonly #lastSeen = new Map<string, number>();
  /** Nodes with a live admitted session. */
  readonly #connected = new Set<string>();
  /** Until when a node's silence is excused (a certified dial told `Busy` comes back by then). */
  readonly #excusedUntil = new Map<string, number>();
  /** Certified sessions of a node waiting in admission: each says whether it is still open. */
  readonly #awaiting = new Map<string, Set<() => boolean>>();

  /** A heartbeat (or hello) on the node's admitted session at `now`. */
  heartbeat(node: string, now: number): void {
    this.#lastSeen.set(node, now);
    this.#connected.add(node);
    this.#excusedUntil.delete(node);
  }

  /** The node's admitted session closed at `now`: its silence counts from then. */
  disconnected(node: string, now: number): void {
    this.#connected.delete(node);
    this.#lastSeen.set(node, Math.min(this.#lastSeen.get(node) ?? now, now));
  }

  /** Whether the node has a live admitted session. */
  isConnected(node: string): boolean {
    return this.#connected.has(node);
  }

  /** When the node last heartbeated on an admitted session (undefined: not since this hub started). */
  lastHeartbeat(node: string): number | undefined {
    return this.#lastSeen.get(node);
  }

  /**
   * A certified node dialed at `now` and was told to come back in `backInMs` (0: no promise): its
   * silence is excused until then. Never shortens an excuse already given.
   */
  sighted(node: string, now: number, backInMs = 0): void {
    const until = now + Math.max(0, backInMs);
    if ((this.#excusedUntil.get(node) ?? -Infinity) < until) this.#excusedUntil.set(node, until);
  }

  /**
   * A certified session of `node` waits in admission; it counts as heard from while `isOpen()` says
   * so. Call the returned function (once is enough) when it leaves the queue: a sighting, if still open.
   */
  awaiting(node: string, isOpen: () => boolean, now: () => number): () => void {
    let set = this.#awaiting.get(node);
    if (!set) this.#awaiting.set(node, (set = new Set()));
    set.add(isOpen);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const s = this.#awaiting.get(node);
      s?.delete(isOpen);
      if (s?.size === 0) this.#awaiting.delete(node);
      if (isOpen()) this.sighted(node, now());
    };
  }

  /**
   * When the node was last known alive, as of `now`: `now` itself while a certified session of it
   * waits in admission, else the latest of its last heartbeat and its excuse; `since` (the hub's
   * start) for a node not heard from since.
   */
  heardAt(node: string, now: number, since: number): number {
    for (const open of this.#awaiting.get(node) ?? []) if (open()) return now;
    return Math.max(this.#lastSeen.get(node) ?? since, this.#excusedUntil.get(node) ?? -Infinity);
  }

  /** Forgets a deleted node. */
  forget(node: string): void {
    this.#lastSeen.delete(node);
    this.#connected.delete(node);
    this.#excusedUntil.delete(node);
    this.#awaiting.delete(node);
  }
}

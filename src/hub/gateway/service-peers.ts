/**
 * The Service stream's per-node bookkeeping: for each protocol-2 node, the revision of each Service
 * it holds, the whole routes being sent it in parts and the Services it is behind on; for each
 * Service, the nodes holding it; and the protocol-1 nodes owed the current `serviceSync`. State, not
 * queues: a node behind on a Service costs one key here, whatever the number of changes it missed.
 */
import type { ServicePump } from './service-pump.js';

/** What the stream keeps per protocol-2 node: revisions held, routes under way, Services it is behind on. */
export interface Peer {
  held: Map<string, number>;
  /** Whole routes being sent in parts: the revision and the next part. */
  sending: Map<string, { rev: number; next: number }>;
  dirty: Set<string>;
}

/** Which node holds which Service, and what each node is owed; owing wakes the node in the fan-out. */
export class ServicePeers {
  /** Protocol-2 nodes sent their set. */
  readonly #peers = new Map<string, Peer>();
  /** Service key → nodes holding (or being sent) it. */
  readonly #holders = new Map<string, Set<string>>();
  /** Protocol-1 nodes owed the current `serviceSync`. */
  readonly #legacyOwed = new Set<string>();

  constructor(private readonly pump: ServicePump) {}

  /** The bookkeeping of a protocol-2 node, if it was sent its set. */
  get(node: string): Peer | undefined {
    return this.#peers.get(node);
  }

  /** Starts a node's bookkeeping afresh (it is being sent a whole set). */
  add(node: string): Peer {
    const peer: Peer = { held: new Map(), sending: new Map(), dirty: new Set() };
    this.#peers.set(node, peer);
    return peer;
  }

  /** Every protocol-2 node. */
  nodes(): Iterable<string> {
    return this.#peers.keys();
  }

  /** Nodes holding (or being sent) `key`. */
  holdersOf(key: string): Iterable<string> {
    return this.#holders.get(key) ?? [];
  }

  /** Whether some node holds (or is being sent) `key`. */
  isHeld(key: string): boolean {
    return this.#holders.has(key);
  }

  /** `node` holds, or is being sent, `key`. */
  hold(node: string, key: string): void {
    addTo(this.#holders, key, node);
  }

  /** `node` no longer holds `key`; true when no node does any more. */
  release(node: string, key: string): boolean {
    const peer = this.#peers.get(node);
    peer?.held.delete(key);
    peer?.sending.delete(key);
    removeFrom(this.#holders, key, node);
    return !this.#holders.has(key);
  }

  /** `key` changed for these nodes: each is served in a coming turn of the fan-out. */
  owe(nodes: Iterable<string>, key: string): void {
    for (const node of nodes) {
      const peer = this.#peers.get(node);
      if (!peer) continue;
      peer.dirty.add(key);
      this.pump.wake(node);
    }
  }

  /** A protocol-1 node is owed the current `serviceSync`. */
  oweLegacy(node: string): void {
    this.#legacyOwed.add(node);
    this.pump.wake(node);
  }

  /** Whether a protocol-1 node is owed the `serviceSync`. */
  owesLegacy(node: string): boolean {
    return this.#legacyOwed.has(node);
  }

  /** The `serviceSync` was sent `node`. */
  paidLegacy(node: string): void {
    this.#legacyOwed.delete(node);
  }

  /** The node's session closed: it holds nothing; returns the keys no node holds any more. */
  forget(node: string): string[] {
    const unheld: string[] = [];
    const peer = this.#peers.get(node);
    if (peer)
      for (const key of [...peer.held.keys(), ...peer.sending.keys()]) if (this.release(node, key)) unheld.push(key);
    this.#peers.delete(node);
    this.#legacyOwed.delete(node);
    this.pump.forget(node);
    return unheld;
  }
}

/** Adds `value` to the set at `key`. */
export function addTo(index: Map<string, Set<string>>, key: string, value: string): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(value);
}

/** Removes `value` from the set at `key`, and the set once empty. */
export function removeFrom(index: Map<string, Set<string>>, key: string, value: string): void {
  const set = index.get(key);
  set?.delete(value);
  if (set?.size === 0) index.delete(key);
}

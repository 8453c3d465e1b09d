/**
 * The Service stream's writes to one node (see service-stream.ts): a turn of the fan-out (what the node
 * is owed, within a byte budget and while its socket and acknowledgement window have room), and
 * bringing one Service from the revision the node holds to the newest — nothing, a removal, the
 * changes since, or the whole route in parts.
 */
import type { AckWindows } from './service-acks.js';
import type { ServiceCatalog } from './service-catalog.js';
import type { Peer, ServicePeers } from './service-peers.js';
import type { ServeResult, ServicePump } from './service-pump.js';
import type { StreamSession } from './service-stream-deps.js';
import { dialectOf } from './route-dialects.js';

/** The stream's state a {@link ServiceDelivery} reads and updates. */
export interface ServiceDeliveryDeps {
  catalog: ServiceCatalog;
  peers: ServicePeers;
  acks: AckWindows;
  pump: ServicePump;
  /** Removal frames of deleted Services, while some node still holds them. */
  tombstones: Map<string, Buffer>;
  sessionOf(node: string): StreamSession | undefined;
  /** The protocol-1 `serviceSync` of the current set. */
  legacyFrame(): Buffer;
}

/** Per-node writes of the Service stream (see the file comment). */
export class ServiceDelivery {
  readonly #d: ServiceDeliveryDeps;

  constructor(deps: ServiceDeliveryDeps) {
    this.#d = deps;
  }

  /** One turn of the fan-out for one node: what it is owed, up to `budget` bytes. */
  serve(node: string, budget: number): ServeResult {
    const session = this.#d.sessionOf(node);
    if (!session) return 'done';
    const high = this.#d.pump.limits.highWaterBytes;
    // Full: the socket holds too much, or the window (the node's, or the fleet's) is spent until a pong.
    const full = (): boolean => session.bufferedAmount > high || this.#d.acks.room(node) <= 0;
    if (this.#d.peers.owesLegacy(node)) {
      if (full()) return 'blocked';
      this.#d.peers.paidLegacy(node);
      const frame = this.#d.legacyFrame();
      session.sendFrame(frame);
      this.#d.acks.sent(node, session, frame.byteLength);
    }
    const peer = this.#d.peers.get(node);
    if (!peer) return 'done';
    let left = budget;
    for (const key of peer.dirty) {
      if (full()) return 'blocked';
      if (left <= 0) return 'more';
      const r = this.bring(node, peer, session, key, Math.min(left, this.#d.acks.room(node)), false);
      left -= r.bytes;
      this.#d.acks.sent(node, session, r.bytes);
      if (!r.done) return full() ? 'blocked' : 'more';
      peer.dirty.delete(key);
    }
    return 'done';
  }

  /**
   * Writes what brings `node` from what it holds of `key` to the current topic: nothing, a removal,
   * the changes since, or the whole route (in parts: up to `budget` bytes and while the socket has
   * room, unless `force`). `done` is false when parts are left for a later turn.
   */
  bring(
    node: string,
    peer: Peer,
    session: StreamSession,
    key: string,
    budget: number,
    force: boolean,
  ): { bytes: number; done: boolean } {
    const topic = this.#d.catalog.get(key);
    if (!topic || !this.#d.catalog.wants(node, topic)) {
      if (!peer.held.has(key) && !peer.sending.has(key)) return { bytes: 0, done: true };
      const frame = topic ? topic.removedFrame() : this.#d.tombstones.get(key);
      this.#release(node, key);
      if (!frame) return { bytes: 0, done: true };
      session.sendFrame(frame);
      return { bytes: frame.byteLength, done: true };
    }
    const held = peer.held.get(key);
    if (held === topic.rev) return { bytes: 0, done: true };
    let bytes = 0;
    let cursor = peer.sending.get(key);
    if (!cursor || cursor.rev !== topic.rev) {
      const chain = held === undefined ? undefined : topic.chainFrom(held, dialectOf(session.protocol));
      if (chain) {
        for (const frame of chain) {
          session.sendFrame(frame);
          bytes += frame.byteLength;
        }
        peer.held.set(key, topic.rev);
        return { bytes, done: true };
      }
      this.#d.peers.hold(node, key);
      peer.held.delete(key);
      peer.sending.set(key, (cursor = { rev: topic.rev, next: 0 }));
    }
    const parts = topic.parts(dialectOf(session.protocol));
    const high = this.#d.pump.limits.highWaterBytes;
    while (cursor.next < parts.length) {
      if (!force && (bytes >= budget || session.bufferedAmount > high)) return { bytes, done: false };
      const frame = parts[cursor.next++]!;
      session.sendFrame(frame);
      bytes += frame.byteLength;
    }
    peer.sending.delete(key);
    peer.held.set(key, topic.rev);
    return { bytes, done: true };
  }

  /** `node` no longer holds `key`; a deleted Service's removal frame goes once no node holds it. */
  #release(node: string, key: string): void {
    if (this.#d.peers.release(node, key)) this.#d.tombstones.delete(key);
  }
}

/**
 * One Service of the stream at one revision, with the frames that bring a node to it, each encoded
 * once (when first needed) and then sent, the same buffer, to every node concerned:
 * - `parts()`: the whole route. A route of more than `chunk` endpoints goes as a `route` delta with
 *   the first piece at a *partial* revision, then endpoint patches of the rest (partial → partial,
 *   the last one partial → `rev`). Every agent of protocol 2 and later applies these as they are
 *   (a patch whose `prev` is the revision it holds), so no protocol change is needed; a node holds
 *   `rev` only once the last part arrived, and a node cut off half-way holds the partial revision,
 *   which no later patch or `keep` names: it gets the whole route again, or asks for a resync.
 * - Routes are encoded per dialect (`route-dialects.ts`): a session older than a field the route
 *   uses gets frames without it, encoded once for all sessions of its dialect.
 * - `history`: the last endpoint changes (`prev` → `rev`, chunked the same way), so a node a few
 *   revisions behind (slow, or reconnecting to the same hub process) is sent those changes instead
 *   of the whole route, as long as they are smaller.
 */
import type { RouteEndpoint, ServiceKey, ServiceRoute } from '../../api/index.js';
import { jsonEqual } from '../reconcile/index.js';
import {
  encodeEntry,
  encodePatchDelta,
  encodeRemovedDelta,
  encodeRouteDelta,
  piecesOf,
  readyFirst,
} from './service-frames.js';
import { NEWEST_DIALECT, encodingOf, isTerminating, routeIn, type RouteDialect } from './route-dialects.js';

/** Endpoint changes a topic remembers for nodes a few revisions behind. */
const HISTORY_CHANGES = 16;

/** One endpoints change: the frames that bring a node holding `prev` to `rev`. */
export interface TopicChange {
  prev: number;
  rev: number;
  frames: readonly Buffer[];
  /** Endpoints upserted and removed (what the change costs a node, against the whole route). */
  items: number;
  /** It upserts or removes a terminating endpoint: only sessions of the newest dialect may be sent it. */
  newest: boolean;
}

/** Allocates the stream's next revision. */
export type NextRevision = () => number;

export class ServiceTopic implements ServiceKey {
  readonly namespace: string;
  readonly name: string;
  readonly byUid: ReadonlyMap<string, RouteEndpoint>;
  readonly nodePort: boolean;
  /** Encodings by dialect (one entry unless the route uses a field an older dialect lacks). */
  readonly #parts = new Map<RouteDialect, Buffer[]>();
  readonly #entry = new Map<RouteDialect, Buffer>();
  #removed: Buffer | undefined;

  private constructor(
    readonly route: ServiceRoute,
    /** The revision a node holds once it has every part. */
    readonly rev: number,
    /** The revision named by the parts before the last (only when the route or a change needs several frames). */
    readonly partialRev: number | undefined,
    readonly history: readonly TopicChange[],
    private readonly chunk: number,
  ) {
    this.namespace = route.namespace;
    this.name = route.name;
    this.byUid = new Map(route.endpoints.map((e) => [e.pod.uid, e]));
    this.nodePort = route.ports.some((p) => p.nodePort !== undefined);
  }

  /** A Service new to the stream, or whose ports or type changed: no history to patch from. */
  static whole(route: ServiceRoute, next: NextRevision, chunk: number): ServiceTopic {
    const partial = route.endpoints.length > chunk ? next() : undefined;
    return new ServiceTopic(route, next(), partial, [], chunk);
  }

  /** Same ports, type, affinity, scale-from-zero flag and HTTP rules as `route` (only endpoints may differ). */
  sameSpec(route: ServiceRoute): boolean {
    return (
      this.route.type === route.type &&
      this.route.sessionAffinity === route.sessionAffinity &&
      this.route.scaleFromZero === route.scaleFromZero &&
      jsonEqual(this.route.ports, route.ports) &&
      jsonEqual(this.route.http, route.http)
    );
  }

  /** This Service brought to `route` of the same spec: itself when no endpoint changed, else patched. */
  follow(route: ServiceRoute, next: NextRevision): ServiceTopic {
    const upsert: RouteEndpoint[] = [];
    const uids = new Set<string>();
    for (const e of route.endpoints) {
      uids.add(e.pod.uid);
      const before = this.byUid.get(e.pod.uid);
      if (!before || !jsonEqual(before, e)) upsert.push(e);
    }
    const remove = [...this.byUid.keys()].filter((uid) => !uids.has(uid));
    return upsert.length === 0 && remove.length === 0 ? this : this.patched(route, upsert, remove, next);
  }

  /** The same Service with changed endpoints (`upsert`, `remove` by pod uid): its change encoded once. */
  patched(route: ServiceRoute, upsert: RouteEndpoint[], remove: string[], next: NextRevision): ServiceTopic {
    // Removals first, then upserts, in pieces of at most `chunk` items.
    const items: Array<{ remove: string } | { upsert: RouteEndpoint }> = [
      ...remove.map((uid) => ({ remove: uid })),
      ...upsert.map((e) => ({ upsert: e })),
    ];
    const pieces = piecesOf(items, this.chunk);
    const partial = pieces.length > 1 || route.endpoints.length > this.chunk ? next() : undefined;
    const rev = next();
    const frames = pieces.map((piece, i) =>
      encodePatchDelta(
        this,
        i === pieces.length - 1 ? rev : partial!,
        i === 0 ? this.rev : partial!,
        piece.flatMap((p) => ('upsert' in p ? [p.upsert] : [])),
        piece.flatMap((p) => ('remove' in p ? [p.remove] : [])),
      ),
    );
    const ending = (e: RouteEndpoint | undefined): boolean => e !== undefined && isTerminating(e);
    const newest = upsert.some(ending) || remove.some((uid) => ending(this.byUid.get(uid)));
    const history = [...this.history, { prev: this.rev, rev, frames, items: items.length, newest }];
    // Keep what is cheaper than the whole route, and a bounded number of changes.
    let total = history.reduce((a, c) => a + c.items, 0);
    while (history.length > HISTORY_CHANGES || (history.length > 1 && total > route.endpoints.length))
      total -= history.shift()!.items;
    return new ServiceTopic(route, rev, partial, history, this.chunk);
  }

  /** The frames of the whole route (one, or a `route` delta and the patches of the rest), in `dialect`. */
  parts(dialect: RouteDialect = NEWEST_DIALECT): readonly Buffer[] {
    const d = encodingOf(this.route, dialect);
    const cached = this.#parts.get(d);
    if (cached) return cached;
    const route = routeIn(this.route, d);
    const pieces = this.#split(route);
    const p = this.partialRev!;
    const last = pieces.length - 1;
    const parts =
      pieces.length === 1
        ? [encodeRouteDelta(this.rev, route)]
        : pieces.map((eps, i) =>
            i === 0
              ? encodeRouteDelta(p, { ...route, endpoints: eps })
              : encodePatchDelta(this, i === last ? this.rev : p, p, eps, []),
          );
    this.#parts.set(d, parts);
    return parts;
  }

  /** This Service's element of a `serviceSet` in `dialect`: the whole route, or its first part (`parts()[1..]` follow). */
  entry(dialect: RouteDialect = NEWEST_DIALECT): Buffer {
    const d = encodingOf(this.route, dialect);
    const cached = this.#entry.get(d);
    if (cached) return cached;
    const route = routeIn(this.route, d);
    const pieces = this.#split(route);
    const entry =
      pieces.length === 1
        ? encodeEntry(this.rev, route)
        : encodeEntry(this.partialRev!, { ...route, endpoints: pieces[0]! });
    this.#entry.set(d, entry);
    return entry;
  }

  /** The delta telling a node to drop this Service. */
  removedFrame(): Buffer {
    return (this.#removed ??= encodeRemovedDelta(this, this.rev));
  }

  /**
   * The frames from revision `held` to this one, when the history reaches it and is cheaper than
   * `parts()`, and a session of `dialect` may read every change (else it gets the whole route).
   */
  chainFrom(held: number, dialect: RouteDialect = NEWEST_DIALECT): Buffer[] | undefined {
    const i = this.history.findIndex((c) => c.prev === held);
    if (i < 0) return undefined;
    const changes = this.history.slice(i);
    if (dialect !== NEWEST_DIALECT && changes.some((c) => c.newest)) return undefined;
    if (changes.reduce((a, c) => a + c.items, 0) > Math.max(1, this.route.endpoints.length)) return undefined;
    return changes.flatMap((c) => c.frames);
  }

  /**
   * The revision of this Service a node held when it had applied the stream up to `revision`: this
   * one, one the history starts from or passes through, or undefined (older than the history).
   */
  revAsOf(revision: number): number | undefined {
    if (this.rev <= revision) return this.rev;
    let best: number | undefined;
    for (const c of this.history) {
      if (c.prev <= revision) best = c.prev;
      if (c.rev <= revision) best = c.rev;
    }
    return best;
  }

  /** `route` (this one in some dialect) in pieces of at most `chunk` endpoints, ready ones first. */
  #split(route: ServiceRoute): RouteEndpoint[][] {
    return piecesOf(readyFirst(route.endpoints), this.chunk);
  }
}

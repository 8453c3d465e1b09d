/**
 * A hollow node's position in the hub's Service stream, kept by the agent's rules (`edge-node`'s
 * NodeServices) but with revisions only, no routes (500 nodes holding 5,000 endpoints each would
 * make the harness, not the hub, the bottleneck): a `serviceSet` replaces the set and must hold every
 * `keep` at its revision, a patch applies only to the revision it names. A miss asks the hub for a
 * `resync` and withdraws the resume point until the whole set comes, as the agent does; a reconnect
 * offers the position reached (`hello.resume`), so the harness's reconnects cost what an agent's do.
 */
import { z } from 'zod';

const Key = z.looseObject({ namespace: z.string(), name: z.string() });
const SetFrame = z.looseObject({
  epoch: z.string(),
  revision: z.number(),
  services: z.array(z.looseObject({ rev: z.number(), route: Key })),
  keep: z.array(z.looseObject({ namespace: z.string(), name: z.string(), rev: z.number() })),
});
const DeltaFrame = z.looseObject({
  namespace: z.string(),
  name: z.string(),
  rev: z.number(),
  prev: z.number().optional(),
  route: z.unknown().optional(),
  removed: z.boolean().optional(),
});

/** Revisions of the Services one hollow node holds. */
export class ServiceRevisions {
  readonly #revs = new Map<string, number>();
  #epoch: string | undefined;
  #revision = 0;
  #resyncPending = false;

  /** What to offer in `hello.resume` (none before a set, or while a resync is pending). */
  resumePoint(): { epoch: string; revision: number } | undefined {
    if (this.#epoch === undefined || this.#resyncPending) return undefined;
    return { epoch: this.#epoch, revision: this.#revision };
  }

  /** Applies a `serviceSet`; returns why a resync is needed, if it is. */
  set(frame: unknown): string | undefined {
    const msg = SetFrame.parse(frame);
    const next = new Map<string, number>();
    let missing: string | undefined;
    for (const k of msg.keep) {
      const key = `${k.namespace}/${k.name}`;
      if (this.#revs.get(key) === k.rev) next.set(key, k.rev);
      else missing ??= key;
    }
    for (const e of msg.services) next.set(`${e.route.namespace}/${e.route.name}`, e.rev);
    this.#revs.clear();
    for (const [k, v] of next) this.#revs.set(k, v);
    this.#epoch = msg.epoch;
    this.#revision = msg.revision;
    this.#resyncPending = missing !== undefined;
    return missing === undefined ? undefined : `the hub said to keep ${missing}, which this node does not hold`;
  }

  /** Applies a `serviceDelta`; returns why a resync is needed, if it is. */
  delta(frame: unknown): string | undefined {
    const d = DeltaFrame.parse(frame);
    const key = `${d.namespace}/${d.name}`;
    this.#revision = Math.max(this.#revision, d.rev);
    if (d.removed) {
      this.#revs.delete(key);
      return undefined;
    }
    if (d.route !== undefined) {
      this.#revs.set(key, d.rev);
      return undefined;
    }
    if (this.#resyncPending) return undefined;
    const held = this.#revs.get(key);
    if (held === undefined || held !== d.prev) {
      this.#resyncPending = true;
      return `a patch of ${key} for revision ${d.prev ?? '?'} arrived; this node holds ${held ?? 'nothing'}`;
    }
    this.#revs.set(key, d.rev);
    return undefined;
  }
}

/**
 * A hollow node's position in the hub's Service stream, kept by the agent's own rules
 * (`ServiceRevisions`, the revision half of the agent's `NodeServices`) but with no routes: 500 nodes
 * holding 5,000 endpoints each would make the harness, not the hub, the bottleneck. Frames are read
 * loosely (only the fields the rules need; the endpoints are not validated, as a route is not kept).
 * A miss asks the hub for a `resync` and withdraws the resume point until the whole set comes, as the
 * agent does; a reconnect offers the position reached (`hello.resume`), so the harness's reconnects
 * cost what an agent's do.
 */
import { z } from 'zod';
// The file itself, not the edge-node index: the harness needs the rules, not the agent's module graph.
import { ServiceRevisions as Revisions } from '../../src/edge-node/session/service-revisions.js';

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
  readonly #revisions = new Revisions();

  /** What to offer in `hello.resume` (none before a set, or while a resync is pending). */
  resumePoint(): { epoch: string; revision: number } | undefined {
    return this.#revisions.resumePoint();
  }

  /** Applies a `serviceSet`; returns why a resync is needed, if it is. */
  set(frame: unknown): string | undefined {
    return this.#revisions.applySet(SetFrame.parse(frame));
  }

  /** Applies a `serviceDelta`; returns why a resync is needed, if it is. */
  delta(frame: unknown): string | undefined {
    const verdict = this.#revisions.applyDelta(DeltaFrame.parse(frame));
    return verdict.kind === 'resync' ? verdict.reason : undefined;
  }
}

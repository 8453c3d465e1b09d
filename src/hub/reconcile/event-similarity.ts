/**
 * Kubernetes' EventAggregator: events alike but for their message (same object, type and reason —
 * "Created pod: web-x7kq2", "Created pod: web-b2m9d", …) are recorded one by one up to ten distinct
 * messages in ten minutes; after that they are combined into one Event, "(combined from similar
 * events): <latest message>", whose count goes up. A 10,000-replica ReplicaSet thus has a dozen
 * SuccessfulCreate Events, not 10,000.
 */
import { trimOldest } from './fifo.js';

/** Distinct messages recorded as themselves before similar events are combined (Kubernetes: 10). */
export const MAX_DISTINCT_MESSAGES = 10;
/** How long a group of similar events is remembered (Kubernetes: 10 minutes). */
export const SIMILARITY_WINDOW_MS = 10 * 60_000;
/** The prefix of a combined event's message. */
export const COMBINED_PREFIX = '(combined from similar events): ';

const MAX_GROUPS = 5000;

/** Tracks similar events; see the module comment. */
export class EventSimilarity {
  readonly #groups = new Map<string, { since: number; messages: Set<string> }>();

  /**
   * Whether an event of group `similarKey` with `message` at `nowMs` is to be combined (true) or
   * recorded as itself (false).
   */
  combine(similarKey: string, message: string, nowMs: number): boolean {
    let group = this.#groups.get(similarKey);
    if (!group || nowMs - group.since > SIMILARITY_WINDOW_MS) {
      group = { since: nowMs, messages: new Set() };
      this.#groups.delete(similarKey);
      this.#groups.set(similarKey, group);
      trimOldest(this.#groups, MAX_GROUPS);
    }
    if (group.messages.has(message)) return false;
    if (group.messages.size >= MAX_DISTINCT_MESSAGES) return true;
    group.messages.add(message);
    return false;
  }
}

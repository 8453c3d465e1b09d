/**
 * Records Events (`v1 Event`) for decisions and observations. Repeats of the same reason and message
 * for the same object bump `count` and `lastTimestamp` of one Event instead of writing new ones, and
 * many similar ones are combined as Kubernetes does (event-similarity.ts). Events expire
 * (`EventTtlController`); a repeat of an expired one starts a new Event. Writes past the hub's event
 * rate are dropped (event-rate.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Clock, Event, KubeObject, Logger } from '../../api/index.js';
import { errorMessage, isNotFound, rfc3339, typeByKind } from '../../api/index.js';
import type { ObjectAPI } from '../registry/index.js';
import { COMBINED_PREFIX, EventSimilarity } from './event-similarity.js';
import type { EventRateLimit } from './event-rate.js';
import { trimOldest } from './fifo.js';

const EVENT_TYPE = typeByKind('v1', 'Event');

export interface EventRecorderDeps {
  api: ObjectAPI;
  clock: Clock;
  logger: Logger;
  component: string;
  host?: string;
  /**
   * The rate all of the hub's own recorders share (made from one another); none: unlimited. A
   * recorder for a node (`forSource`) has none: the gateway limits each node's Events.
   */
  limit?: EventRateLimit;
}

/** One Event this recorder writes: the stored copy, and repeats waiting to be added to its count. */
interface Recorded {
  event: Event | undefined;
  /** A write of this Event is under way; repeats meanwhile are added up in `extra`. */
  writing: boolean;
  extra: number;
  lastTimestamp: string;
  message: string;
}

/** Records events; failures are logged, never thrown (an event must not break a reconcile). */
export class EventRecorder {
  private readonly recent = new Map<string, Recorded>();
  private readonly similar = new EventSimilarity();

  constructor(private readonly deps: EventRecorderDeps) {}

  /** A recorder for another component. */
  withComponent(component: string): EventRecorder {
    return new EventRecorder({ ...this.deps, component });
  }

  /** A recorder for a component on another host (an edge node reporting about its pods). */
  forSource(component: string, host: string): EventRecorder {
    const deps: EventRecorderDeps = { ...this.deps, component, host };
    delete deps.limit;
    return new EventRecorder(deps);
  }

  normal(obj: KubeObject, reason: string, message: string): void {
    void this.record(obj, 'Normal', reason, message);
  }

  warning(obj: KubeObject, reason: string, message: string): void {
    void this.record(obj, 'Warning', reason, message);
  }

  /**
   * Records one occurrence. A repeat (same object, type, reason and message — or, past ten distinct
   * messages, any similar one: event-similarity.ts) bumps the count of the existing Event; repeats
   * arriving while that Event is being written are added up and written once. A write the event rate
   * refuses is dropped: an Event not written yet is forgotten (its next occurrence starts afresh), a
   * written one keeps the occurrences for its next write.
   */
  async record(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    if (!EVENT_TYPE) return;
    const nowMs = this.deps.clock.now();
    const now = rfc3339(nowMs);
    const similarKey = `${obj.metadata.uid ?? obj.metadata.name}|${type}|${reason}`;
    const combined = this.similar.combine(similarKey, message, nowMs);
    const shown = combined ? `${COMBINED_PREFIX}${message}` : message;
    const dedupeKey = combined ? `${similarKey}|${COMBINED_PREFIX}` : `${similarKey}|${message}`;
    let entry = this.recent.get(dedupeKey);
    if (entry) {
      entry.extra += 1;
      entry.lastTimestamp = now;
      entry.message = shown;
      if (entry.writing) return;
    } else {
      entry = { event: undefined, writing: false, extra: 1, lastTimestamp: now, message: shown };
      this.recent.set(dedupeKey, entry);
      trimOldest(this.recent, 5000);
    }
    entry.writing = true;
    try {
      while (entry.extra > 0) {
        if (this.deps.limit && !this.deps.limit.allow()) {
          if (!entry.event) this.#forget(dedupeKey, entry);
          return;
        }
        const n = entry.extra;
        entry.extra = 0;
        entry.event = await this.write(obj, type, reason, entry, n);
      }
    } catch (err) {
      this.#forget(dedupeKey, entry);
      this.deps.logger.debug({ reason, err: errorMessage(err) }, 'could not record event');
    } finally {
      entry.writing = false;
    }
  }

  /** Forgets `entry` unless it was trimmed meanwhile and its key now holds a newer one. */
  #forget(dedupeKey: string, entry: Recorded): void {
    if (this.recent.get(dedupeKey) === entry) this.recent.delete(dedupeKey);
  }

  /** Adds `n` occurrences to the entry's Event (creating it, or afresh when it expired). */
  private async write(
    obj: KubeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    entry: Recorded,
    n: number,
  ): Promise<Event> {
    const { api, component } = this.deps;
    const prev = entry.event;
    if (prev) {
      try {
        return await api.update<Event>(EVENT_TYPE!, {
          ...prev,
          count: (prev.count ?? 1) + n,
          message: entry.message,
          lastTimestamp: entry.lastTimestamp,
          metadata: { ...prev.metadata, resourceVersion: undefined },
        });
      } catch (err) {
        // Expired (the event TTL sweep deleted it) or deleted by a user: record it afresh below.
        if (!isNotFound(err)) throw err;
      }
    }
    const event: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: `${obj.metadata.name ?? 'object'}.${randomSuffix()}`,
        namespace: obj.metadata.namespace ?? 'default',
      },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        namespace: obj.metadata.namespace,
        name: obj.metadata.name,
        uid: obj.metadata.uid,
      },
      reason,
      message: entry.message,
      type,
      count: n,
      firstTimestamp: entry.lastTimestamp,
      lastTimestamp: entry.lastTimestamp,
      source: { component, ...(this.deps.host ? { host: this.deps.host } : {}) },
      reportingComponent: component,
    };
    return api.create<Event>(EVENT_TYPE!, event);
  }
}

/**
 * 16 random hex digits for an Event's name (62 random bits). From `randomUUID`, which draws on a
 * buffered pool of random bytes: `randomBytes(8)` asked the CSPRNG on every call, 1.5% of the hub's
 * main thread in a 100,000-pod rollout (one Scheduled Event per pod).
 */
function randomSuffix(): string {
  // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx: the last 16 digits, random but for V's top 2 bits.
  const u = randomUUID();
  return u.slice(19, 23) + u.slice(24);
}

/**
 * Records Events (`v1 Event`) for decisions and observations. Repeats of the same reason and message
 * for the same object bump `count` and `lastTimestamp` of one Event instead of writing new ones.
 * Events expire (`EventTtlController`); a repeat of an expired one starts a new Event.
 */
import { randomBytes } from 'node:crypto';
import type { Clock, Event, KubeObject, Logger } from '../../api/index.js';
import { errorMessage, isNotFound, rfc3339, typeByKind } from '../../api/index.js';
import type { ObjectAPI } from '../registry/index.js';

const EVENT_TYPE = typeByKind('v1', 'Event');

export interface EventRecorderDeps {
  api: ObjectAPI;
  clock: Clock;
  logger: Logger;
  component: string;
  host?: string;
}

/** Records events; failures are logged, never thrown (an event must not break a reconcile). */
export class EventRecorder {
  private readonly recent = new Map<string, Event>();

  constructor(private readonly deps: EventRecorderDeps) {}

  /** A recorder for another component. */
  withComponent(component: string): EventRecorder {
    return new EventRecorder({ ...this.deps, component });
  }

  /** A recorder for a component on another host (an edge node reporting about its pods). */
  forSource(component: string, host: string): EventRecorder {
    return new EventRecorder({ ...this.deps, component, host });
  }

  normal(obj: KubeObject, reason: string, message: string): void {
    void this.record(obj, 'Normal', reason, message);
  }

  warning(obj: KubeObject, reason: string, message: string): void {
    void this.record(obj, 'Warning', reason, message);
  }

  async record(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    if (!EVENT_TYPE) return;
    const { api, clock, logger, component } = this.deps;
    const now = rfc3339(clock.now());
    const namespace = obj.metadata.namespace ?? 'default';
    const dedupeKey = `${obj.metadata.uid ?? obj.metadata.name}|${type}|${reason}|${message}`;
    try {
      const prev = this.recent.get(dedupeKey);
      if (prev) {
        try {
          const updated = await api.update<Event>(EVENT_TYPE, {
            ...prev,
            count: (prev.count ?? 1) + 1,
            lastTimestamp: now,
            metadata: { ...prev.metadata, resourceVersion: undefined },
          });
          this.recent.set(dedupeKey, updated);
          return;
        } catch (err) {
          // Expired (the event TTL sweep deleted it) or deleted by a user: record it afresh below.
          if (!isNotFound(err)) throw err;
          this.recent.delete(dedupeKey);
        }
      }
      const event: Event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${obj.metadata.name ?? 'object'}.${randomBytes(8).toString('hex')}`, namespace },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          namespace: obj.metadata.namespace,
          name: obj.metadata.name,
          uid: obj.metadata.uid,
        },
        reason,
        message,
        type,
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component, ...(this.deps.host ? { host: this.deps.host } : {}) },
        reportingComponent: component,
      };
      const created = await api.create<Event>(EVENT_TYPE, event);
      this.recent.set(dedupeKey, created);
      if (this.recent.size > 5000) this.recent.delete(this.recent.keys().next().value as string);
    } catch (err) {
      this.recent.delete(dedupeKey);
      logger.debug({ reason, err: errorMessage(err) }, 'could not record event');
    }
  }
}

/**
 * Events expire. Kubernetes keeps an Event for `--event-ttl` (1 h) after its last write; without that,
 * a crash-looping pod or a flapping node would grow the store, every Event list and every new watcher's
 * initial state without bound. A periodic sweep lists Events namespace by namespace, a page at a time,
 * and deletes those whose last write (`lastTimestamp`, else `firstTimestamp`, else
 * `creationTimestamp`) is older than the TTL. It is level-triggered — each sweep reads what is stored now, so a missed or failed sweep is
 * healed by the next — and it deletes in chunks, yielding to the event loop between them, so a backlog
 * of thousands never stalls the API. Deletes carry the listed resourceVersion: an Event bumped
 * (`count`+1) since the list is fresh again and stays.
 */
import type { Clock, Event, Logger, Namespace, ResourceType } from '../../api/index.js';
import { ConflictError, ExpiredError, GoneError, isNotFound, typeByKind } from '../../api/index.js';
import type { ObjectAPI, ObjectList } from '../registry/index.js';
import { PeriodicSweep } from '../reconcile/index.js';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

const EVENT = typeByKind('v1', 'Event');
const NAMESPACE = typeByKind('v1', 'Namespace');

/** Events per LIST page of a sweep (kubectl's default chunk size). */
const LIST_PAGE = 500;
/** Lists of one namespace started again, with nothing deleted since the last start, before giving up until the next sweep. */
const MAX_BARREN_RESTARTS = 3;

/** Kubernetes' default `--event-ttl`: one hour. */
export const DEFAULT_EVENT_TTL_SECONDS = 3600;

/** Dependencies and tunables of the sweep. */
export interface EventTtlDeps {
  api: ObjectAPI;
  clock: Clock;
  logger: Logger;
  /** How long an Event lives after its last write. */
  ttlSeconds?: number;
  /** Time between sweeps (default: a tenth of the TTL, between 1 s and 60 s). */
  intervalMs?: number;
  /** Deletes between two yields to the event loop (default 100). */
  chunkSize?: number;
}

/** When an Event was last written, in ms since the epoch (NaN if it says nothing parseable). */
function lastWrite(e: Event): number {
  for (const t of [e.lastTimestamp, e.firstTimestamp, e.metadata.creationTimestamp]) {
    const ms = t === undefined ? NaN : Date.parse(t);
    if (!Number.isNaN(ms)) return ms;
  }
  return NaN;
}

/** Deletes Events older than the TTL, periodically. */
export class EventTtlController {
  readonly #deps: EventTtlDeps;
  readonly #ttlMs: number;
  readonly #chunk: number;
  readonly #sweeper: PeriodicSweep<number>;

  constructor(deps: EventTtlDeps) {
    this.#deps = deps;
    this.#ttlMs = (deps.ttlSeconds ?? DEFAULT_EVENT_TTL_SECONDS) * 1000;
    this.#chunk = Math.max(1, deps.chunkSize ?? 100);
    const intervalMs = deps.intervalMs ?? Math.min(60_000, Math.max(1000, this.#ttlMs / 10));
    this.#sweeper = new PeriodicSweep({
      run: (signal) => this.#sweep(signal),
      intervalMs,
      firstDelayMs: Math.min(intervalMs, 1000),
      logger: deps.logger,
      failureMessage: 'event expiry sweep failed; retrying next interval',
    });
  }

  /** Starts sweeping: once soon, then every interval. */
  start(): void {
    this.#sweeper.start();
  }

  /** Stops sweeping (a sweep under way ends after its current chunk; this resolves then). */
  stop(): Promise<void> {
    return this.#sweeper.stop();
  }

  /** Runs one sweep now (joins one already running); resolves with the number of Events deleted. */
  sweep(): Promise<number> {
    return this.#sweeper.sweep();
  }

  async #sweep(signal: AbortSignal): Promise<number> {
    const { api, clock, logger } = this.#deps;
    if (!EVENT || !NAMESPACE) return 0;
    const cutoff = clock.now() - this.#ttlMs;
    const namespaces = (await api.list<Namespace>(NAMESPACE)).items.map((n) => n.metadata.name ?? '');
    let deleted = 0;
    for (const namespace of namespaces) {
      if (signal.aborted) break;
      deleted += await this.#sweepNamespace(EVENT, namespace, cutoff, signal);
      await yieldToLoop();
    }
    if (deleted > 0) logger.debug({ deleted, ttlSeconds: this.#ttlMs / 1000 }, 'expired events deleted');
    return deleted;
  }

  /** Deletes the expired Events of one namespace; resolves with how many. */
  async #sweepNamespace(event: ResourceType, namespace: string, cutoff: number, signal: AbortSignal): Promise<number> {
    const { api, logger } = this.#deps;
    let deleted = 0;
    let sinceYield = 0;
    let token: string | undefined;
    // Restarts since this sweep last deleted something here.
    let barren = 0;
    let atRestart = 0;
    for (;;) {
      if (signal.aborted) break;
      // A page at a time: Events are read from the store (no watch cache holds them), and a namespace
      // may hold one per pod.
      let page: ObjectList<Event>;
      try {
        page = await api.list<Event>(event, {
          namespace,
          limit: LIST_PAGE,
          countRemaining: false,
          ...(token ? { continue: token } : {}),
        });
      } catch (err) {
        if (!(err instanceof GoneError)) throw err;
        // The token outlived the store's history (a busy store compacts within seconds). The answer's
        // token goes on from the same Event in the current state: the sweep needs no snapshot (each
        // delete carries the resourceVersion it saw), so that is where it goes on.
        if (err instanceof ExpiredError && err.continueToken !== undefined && err.continueToken !== token) {
          token = err.continueToken;
          continue;
        }
        // No such token: list the namespace again from its start, where what was deleted is gone. A
        // restart that deleted nothing since the last one made no progress; after a few, the next
        // sweep tries again.
        barren = deleted > atRestart ? 0 : barren + 1;
        atRestart = deleted;
        if (barren > MAX_BARREN_RESTARTS) {
          logger.info(
            { namespace, deleted },
            'event expiry: the store changes faster than a namespace can be listed; next sweep',
          );
          break;
        }
        token = undefined;
        continue;
      }
      for (const e of page.items) {
        if (!(lastWrite(e) < cutoff)) continue;
        try {
          await api.delete(event, namespace, e.metadata.name ?? '', {
            preconditions: { resourceVersion: e.metadata.resourceVersion },
          });
          deleted++;
        } catch (err) {
          // Bumped since the list (fresh again) or deleted by someone else: either way nothing to do.
          if (!(err instanceof ConflictError) && !isNotFound(err)) throw err;
        }
        if (++sinceYield >= this.#chunk) {
          sinceYield = 0;
          await yieldToLoop();
          if (signal.aborted) return deleted;
        }
      }
      token = page.continue;
      if (!token) break;
      await yieldToLoop();
    }
    return deleted;
  }
}

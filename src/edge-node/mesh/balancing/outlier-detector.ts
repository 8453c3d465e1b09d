/**
 * Passive ejection (Envoy's "outlier detection", consecutive-failure flavour): an endpoint whose
 * last `consecutiveFailures` attempts all failed — no connection, or a 5xx answer — is taken out of
 * rotation for a cool-down, then re-admitted and judged again by the requests it gets. Each
 * ejection in a row doubles the cool-down up to `maxEjectionMs`; an endpoint that stays in for a
 * whole `maxEjectionMs` after its last ejection starts over at `baseEjectionMs`.
 *
 * Only this node's own traffic is observed (no probes of its own: readiness probes already keep
 * unready pods out of the endpoint table; this catches what they miss, such as an unreachable node).
 */
import type { Clock, Logger } from '../../../api/index.js';
import type { PickOutcome } from './endpoint-picker.js';

/** Thresholds of ejection. */
export interface EjectionOptions {
  /** Failures in a row that eject an endpoint (default 5, as Envoy's `consecutive_5xx`). */
  consecutiveFailures: number;
  /** Cool-down of a first ejection (default 10 s). */
  baseEjectionMs: number;
  /** Longest cool-down (default 5 min). */
  maxEjectionMs: number;
}

/** Defaults of `EjectionOptions`. */
export const DEFAULT_EJECTION: EjectionOptions = {
  consecutiveFailures: 5,
  baseEjectionMs: 10_000,
  maxEjectionMs: 300_000,
};

interface Health {
  failures: number;
  /** Ejections in a row (drives the growing cool-down). */
  ejections: number;
  /** Ejected until this time (ms); 0 when in rotation. */
  until: number;
  /** When the last ejection ended (for forgetting `ejections`). */
  lastEjectionEnd: number;
}

/** Dependencies of the detector. */
export interface OutlierDetectorDeps {
  clock: Clock;
  logger?: Logger;
  options?: Partial<EjectionOptions>;
}

/** Tracks failures per endpoint key and says which endpoints are ejected. */
export class OutlierDetector {
  private readonly opts: EjectionOptions;
  private readonly health = new Map<string, Health>();

  constructor(private readonly deps: OutlierDetectorDeps) {
    this.opts = { ...DEFAULT_EJECTION, ...deps.options };
  }

  /** True while `key` is ejected. */
  isEjected(key: string): boolean {
    const h = this.health.get(key);
    return h !== undefined && h.until > this.deps.clock.now();
  }

  /** Records an attempt's outcome; `label` names the endpoint in logs. */
  record(key: string, outcome: PickOutcome, label: string): void {
    if (outcome === 'cancelled') return;
    const now = this.deps.clock.now();
    let h = this.health.get(key);
    if (h !== undefined && h.until !== 0 && h.until <= now) {
      // The cool-down is over: the endpoint is back in rotation and judged afresh.
      h.lastEjectionEnd = h.until;
      h.until = 0;
    }
    if (outcome === 'ok') {
      if (h === undefined) return;
      h.failures = 0;
      // Nothing worth remembering: never ejected, or in rotation for a whole longest cool-down since.
      if (h.until === 0 && (h.ejections === 0 || now - h.lastEjectionEnd >= this.opts.maxEjectionMs))
        this.health.delete(key);
      return;
    }
    if (h === undefined) {
      h = { failures: 0, ejections: 0, until: 0, lastEjectionEnd: 0 };
      this.health.set(key, h);
    }
    if (h.until > now) return; // already out: the attempts that were in flight say nothing new
    h.failures += 1;
    if (h.failures < this.opts.consecutiveFailures) return;
    if (h.ejections > 0 && now - h.lastEjectionEnd >= this.opts.maxEjectionMs) h.ejections = 0;
    h.ejections += 1;
    h.failures = 0;
    const coolDown = Math.min(this.opts.baseEjectionMs * 2 ** (h.ejections - 1), this.opts.maxEjectionMs);
    h.until = now + coolDown;
    this.deps.logger?.warn(
      { endpoint: label, failures: this.opts.consecutiveFailures, coolDownMs: coolDown, ejections: h.ejections },
      'endpoint ejected after consecutive failures',
    );
  }

  /** Forgets endpoints whose key is not kept by `keep`. */
  retain(keep: (key: string) => boolean): void {
    for (const key of this.health.keys()) if (!keep(key)) this.health.delete(key);
  }
}

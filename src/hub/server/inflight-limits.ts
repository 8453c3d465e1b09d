/**
 * Bounded in-flight requests, the kube-apiserver's `--max-requests-inflight` /
 * `--max-mutating-requests-inflight` idea (the simple form of API Priority and Fairness): reads and
 * writes have separate budgets, and full lists a smaller one inside the read budget, so a storm of
 * large lists cannot take the slots single-object GETs and PUTs need. Long-running requests (watches,
 * followed logs) are not counted here: they have their own per-user limits (stream-limits.ts). Past a
 * budget the request gets 429 with `Retry-After: 1`, as Kubernetes answers.
 */
import type { MiddlewareHandler } from 'hono';
import { toStatus } from '../../api/index.js';
import type { HubMetrics } from '../metrics/index.js';
import { TooManyRequestsError, streamKindOf } from './stream-limits.js';

/** The budgets (defaults: the kube-apiserver's 400 / 200, and 50 concurrent full lists). */
export interface InflightOptions {
  readOnly: number;
  mutating: number;
  lists: number;
}

export const DEFAULT_INFLIGHT: InflightOptions = { readOnly: 400, mutating: 200, lists: 50 };

type Kind = keyof InflightOptions;

/** Counts requests in flight per budget. */
export class InflightLimiter {
  readonly #limits: InflightOptions;
  readonly #open: Record<Kind, number> = { readOnly: 0, mutating: 0, lists: 0 };

  constructor(opts: Partial<InflightOptions> = {}) {
    this.#limits = { ...DEFAULT_INFLIGHT, ...opts };
  }

  /** Requests in flight of `kind`. */
  count(kind: Kind): number {
    return this.#open[kind];
  }

  /** Takes a slot in each of `kinds`, or none: the first full budget's name. */
  acquire(kinds: readonly Kind[]): { release: () => void } | { full: Kind } {
    const full = kinds.find((k) => this.#open[k] >= this.#limits[k]);
    if (full !== undefined) return { full };
    for (const k of kinds) this.#open[k]++;
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        for (const k of kinds) this.#open[k]--;
      },
    };
  }
}

/** A list without `limit`: the requests that cost the hub most. */
function isFullList(method: string, path: string, query: (n: string) => string | undefined): boolean {
  if (method !== 'GET' || !(path.startsWith('/api/') || path.startsWith('/apis/'))) return false;
  const limit = query('limit');
  if (limit !== undefined && limit !== '' && limit !== '0') return false;
  // A collection URL ends in a plural (`…/pods`); one object adds a name after it. Cheap: the route
  // decides for real, a misjudged request is only counted in the wider budget.
  const parts = path.split('/').filter((p) => p !== '');
  const afterVersion = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  return afterVersion.length === 1 || (afterVersion[0] === 'namespaces' && afterVersion.length === 3);
}

/** Middleware (after authentication): 429 past a budget; the slot is held until the handler returns. */
export function limitInflight(limiter: InflightLimiter, metrics?: HubMetrics): MiddlewareHandler {
  return async (c, next) => {
    const method = c.req.method;
    const query = (n: string): string | undefined => c.req.query(n);
    if (streamKindOf(method, c.req.path, query) !== undefined) return next();
    const readOnly = method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
    const kinds: Kind[] = readOnly
      ? isFullList(method, c.req.path, query)
        ? ['readOnly', 'lists']
        : ['readOnly']
      : ['mutating'];
    const slot = limiter.acquire(kinds);
    if ('full' in slot) {
      metrics?.rejected(slot.full);
      const status = toStatus(
        new TooManyRequestsError(`too many requests in flight (${slot.full} budget full); retry shortly`),
      );
      return c.json(status, 429, { 'retry-after': '1' });
    }
    metrics?.inflight(kinds[0] ?? 'readOnly', limiter.count(kinds[0] ?? 'readOnly'));
    try {
      await next();
    } finally {
      slot.release();
      metrics?.inflight(kinds[0] ?? 'readOnly', limiter.count(kinds[0] ?? 'readOnly'));
    }
  };
}

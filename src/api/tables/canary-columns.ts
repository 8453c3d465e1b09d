/**
 * `get canaries` as kubectl prints Flagger's CRD printer columns: NAME STATUS WEIGHT
 * LASTTRANSITIONTIME, and wide FAILEDCHECKS INTERVAL STEPWEIGHT STEPWEIGHTS MAXWEIGHT (Flagger's
 * priority-1 columns, after the others here; MIRROR is left out, mirroring is not served).
 */
import type { Canary } from '../canary.js';
import type { KubeObject } from '../meta.js';

const text = (v: unknown): string => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** The columns of `Canary` (`KindColumns` of columns.ts, which spreads them in). */
export const CANARY_COLUMNS = {
  Canary: {
    headers: ['STATUS', 'WEIGHT', 'LASTTRANSITIONTIME'],
    wideHeaders: ['FAILEDCHECKS', 'INTERVAL', 'STEPWEIGHT', 'STEPWEIGHTS', 'MAXWEIGHT'],
    named: true,
    cells: (o: KubeObject): string[] => {
      const c = o as Canary;
      return [text(c.status?.phase), text(c.status?.canaryWeight), text(c.status?.lastTransitionTime)];
    },
    wideCells: (o: KubeObject): string[] => {
      const { status, spec } = o as Canary;
      const a = spec.analysis;
      return [text(status?.failedChecks), text(a.interval), text(a.stepWeight), text(a.stepWeights), text(a.maxWeight)];
    },
  },
};

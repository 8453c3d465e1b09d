/**
 * The part of `src/api`'s public surface that loads no zod and no schema: errors, kind names and URLs,
 * selectors, quantities and the table columns. Start-up-critical code (edgectl, a fresh process per
 * command) imports its values from here; loading `index.ts` builds the schema of every kind, which
 * costs more than the whole `edgectl get pods` request (bench/cli-startup.ts). Types are free to
 * come from `index.ts` (`import type` is erased).
 */
export * from './errors.js';
export * from './kinds.js';
export * from './quantity-format.js';
export * from './selectors.js';
export * from './object-facts.js';
export { fromStatus } from './status-read.js';
export { age, humanDuration } from './tables/age.js';
export {
  columnsFor,
  eventTime,
  formatEndpoints,
  mapSelector,
  nodeStatus,
  servicePorts,
  type KindColumns,
} from './tables/columns.js';
export { metricTarget, scaledToZero, hpaTargets } from './tables/hpa-columns.js';
export { podReady, podRestarts, podStatus } from './tables/pod-status.js';

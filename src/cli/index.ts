/**
 * Public surface of `src/cli`: the edgectl program (`run`) and the typed hub client other code
 * (tests, benchmarks) reuses.
 */
export { run, type CliIO, type TextSink } from './main.js';
export * from './client/index.js';

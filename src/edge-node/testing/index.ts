/**
 * The node's test surface for other areas' tests: real parts, no fakes. The mesh's request counters,
 * the usage sampler and the frames it cuts, so a hub test can feed the hub real nodes' `usage` reports.
 */
export { RequestAccounting } from '../mesh/index.js';
export { usageFrames } from '../metrics/usage-frames.js';
export { UsageSampler } from '../metrics/usage-sampler.js';

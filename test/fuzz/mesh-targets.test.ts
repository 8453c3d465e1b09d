import { fuzzTest } from './fuzz-test.js';
import { target } from './targets/mesh-targets.js';

fuzzTest(
  target,
  'mesh targets: only (pod, port) pairs that are Service endpoints on the node are delivered; the rest is 403/404/400',
  { numRuns: 1000, timeoutMs: 60_000 },
);

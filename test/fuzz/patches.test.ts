import { fuzzTest } from './fuzz-test.js';
import { target } from './targets/patches.js';

fuzzTest(
  target,
  'patches against stored objects: a success or a Status 4xx, never 5xx, no prototype pollution, stored objects stay valid',
  { numRuns: 500, timeoutMs: 60_000 },
);

import { fuzzTest } from './fuzz-test.js';
import { target } from './targets/manifests.js';

fuzzTest(
  target,
  'manifests through the real API: every answer a success or a Status 4xx saying what is wrong, no prototype pollution',
  { numRuns: 400, timeoutMs: 60_000 },
);

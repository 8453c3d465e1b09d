import { fuzzTest } from './fuzz-test.js';
import { target } from './targets/blob-uploads.js';

fuzzTest(
  target,
  'blob uploads: every answer a success or a Status, no temporary left, accounting equal to the disk, quota kept',
  { numRuns: 300, timeoutMs: 60_000 },
);

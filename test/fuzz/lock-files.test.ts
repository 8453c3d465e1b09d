import { fuzzTest } from './fuzz-test.js';
import { target } from './targets/lock-files.js';

fuzzTest(
  target,
  'lock files: any content is taken over or refused with a clear DataDirInUseError, never another error',
  { numRuns: 1000, timeoutMs: 60_000 },
);

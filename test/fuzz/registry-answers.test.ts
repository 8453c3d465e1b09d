import { fuzzTest } from './fuzz-test.js';
import { target } from './targets/registry-answers.js';

fuzzTest(
  target,
  'registry answers: every pull a verified blob or a short ImagePullError, no password in it, no credentials to another host',
  { numRuns: 300, timeoutMs: 60_000 },
);

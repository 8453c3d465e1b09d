import { fuzzTest } from './fuzz-test.js';
import { target } from './targets/frames.js';

fuzzTest(
  target,
  'gateway frames to a real hub: no crash, no frame over a few ms to decode, garbage senders closed, hub healthy',
  { numRuns: 300, timeoutMs: 60_000 },
);

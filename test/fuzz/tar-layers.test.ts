import { fuzzTest } from './fuzz-test.js';
import { target } from './targets/tar-layers.js';

fuzzTest(
  target,
  'tar layers: applies or refuses with a named error every crafted, mutated or random archive, writing nothing outside the snapshot root',
  { numRuns: 400, timeoutMs: 60_000 },
);

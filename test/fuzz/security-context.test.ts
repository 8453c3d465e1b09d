import { fuzzTest } from './fuzz-test.js';
import { target } from './targets/security-context.js';

fuzzTest(
  target,
  'securityContext through the real API and into the node configs: 201, 403 as Kubernetes words it, or 422; admitted pods meet their level; configs keep their promises',
  { numRuns: 600, timeoutMs: 60_000 },
);

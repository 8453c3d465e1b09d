import { afterAll, beforeAll, it } from 'vitest';
import { assertTarget } from './target.js';
import { target } from './targets/mesh-targets.js';

let ctx: Awaited<ReturnType<typeof target.setup>>;
beforeAll(async () => {
  ctx = await target.setup();
});
afterAll(async () => {
  await target.teardown(ctx);
});

it('mesh targets: only (pod, port) pairs that are Service endpoints on the node are delivered; the rest is 403/404/400', async () => {
  await assertTarget(target, { numRuns: 1000, ctx });
}, 60_000);

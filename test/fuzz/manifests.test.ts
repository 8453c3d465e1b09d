import { afterAll, beforeAll, it } from 'vitest';
import { assertTarget } from './target.js';
import { target } from './targets/manifests.js';

let ctx: Awaited<ReturnType<typeof target.setup>>;
beforeAll(async () => {
  ctx = await target.setup();
});
afterAll(async () => {
  await target.teardown(ctx);
});

it('manifests through the real API: every answer a success or a Status 4xx saying what is wrong, no prototype pollution', async () => {
  await assertTarget(target, { numRuns: 400, ctx });
}, 60_000);

import { afterAll, beforeAll, it } from 'vitest';
import { assertTarget } from './target.js';
import { target } from './targets/blob-uploads.js';

let ctx: Awaited<ReturnType<typeof target.setup>>;
beforeAll(async () => {
  ctx = await target.setup();
});
afterAll(async () => {
  await target.teardown(ctx);
});

it('blob uploads: every answer a success or a Status, no temporary left, accounting equal to the disk, quota kept', async () => {
  await assertTarget(target, { numRuns: 300, ctx });
}, 60_000);

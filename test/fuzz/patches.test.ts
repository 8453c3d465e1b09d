import { afterAll, beforeAll, it } from 'vitest';
import { assertTarget } from './target.js';
import { target } from './targets/patches.js';

let ctx: Awaited<ReturnType<typeof target.setup>>;
beforeAll(async () => {
  ctx = await target.setup();
});
afterAll(async () => {
  await target.teardown(ctx);
});

it('patches against stored objects: a success or a Status 4xx, never 5xx, no prototype pollution, stored objects stay valid', async () => {
  await assertTarget(target, { numRuns: 500, ctx });
}, 60_000);

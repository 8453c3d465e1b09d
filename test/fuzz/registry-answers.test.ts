import { afterAll, beforeAll, it } from 'vitest';
import { assertTarget } from './target.js';
import { target } from './targets/registry-answers.js';

let ctx: Awaited<ReturnType<typeof target.setup>>;
beforeAll(async () => {
  ctx = await target.setup();
});
afterAll(async () => {
  await target.teardown(ctx);
});

it('registry answers: every pull a verified blob or a short ImagePullError, no password in it, no credentials to another host', async () => {
  await assertTarget(target, { numRuns: 300, ctx });
}, 60_000);

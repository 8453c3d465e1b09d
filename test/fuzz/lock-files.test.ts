import { afterAll, beforeAll, it } from 'vitest';
import { assertTarget } from './target.js';
import { target } from './targets/lock-files.js';

let ctx: Awaited<ReturnType<typeof target.setup>>;
beforeAll(async () => {
  ctx = await target.setup();
});
afterAll(async () => {
  await target.teardown(ctx);
});

it('lock files: any content is taken over or refused with a clear DataDirInUseError, never another error', async () => {
  await assertTarget(target, { numRuns: 1000, ctx });
}, 60_000);

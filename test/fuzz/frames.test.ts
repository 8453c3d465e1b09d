import { afterAll, beforeAll, it } from 'vitest';
import { assertTarget } from './target.js';
import { target } from './targets/frames.js';

let ctx: Awaited<ReturnType<typeof target.setup>>;
beforeAll(async () => {
  ctx = await target.setup();
});
afterAll(async () => {
  await target.teardown(ctx);
});

it('gateway frames to a real hub: no crash, no frame over a few ms to decode, garbage senders closed, hub healthy', async () => {
  await assertTarget(target, { numRuns: 300, ctx });
}, 60_000);

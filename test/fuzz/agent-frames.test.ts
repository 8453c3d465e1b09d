import { afterAll, beforeAll, expect, it } from 'vitest';
import { assertTarget } from './target.js';
import { target } from './targets/agent-frames.js';

let ctx: Awaited<ReturnType<typeof target.setup>>;
beforeAll(async () => {
  ctx = await target.setup();
}, 60_000);
afterAll(async () => {
  await target.teardown(ctx);
}, 30_000);

it('hub→node frames to a real agent: no crash, invalid frames answered with an error, the agent redials past its tolerance and keeps serving', async () => {
  await assertTarget(target, { numRuns: 120, ctx });
  // The run did reach the agent's bad-frame tolerance at least once (the redial path was exercised).
  expect(ctx.redials).toBeGreaterThan(0);
}, 120_000);

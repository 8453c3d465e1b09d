import { afterAll, beforeAll, it } from 'vitest';
import { assertTarget } from './target.js';
import { target } from './targets/security-context.js';

let ctx: Awaited<ReturnType<typeof target.setup>>;
beforeAll(async () => {
  ctx = await target.setup();
});
afterAll(async () => {
  await target.teardown(ctx);
});

it('securityContext through the real API and into the node configs: 201, 403 as Kubernetes words it, or 422; admitted pods meet their level; configs keep their promises', async () => {
  await assertTarget(target, { numRuns: 600, ctx });
}, 60_000);

import { afterAll, beforeAll, describe, it } from 'vitest';
import { assertTarget } from './target.js';
import { target } from './targets/tar-layers.js';

type Ctx = Awaited<ReturnType<typeof target.setup>>;
let ctx: Ctx;
beforeAll(async () => {
  ctx = await target.setup();
});
afterAll(async () => {
  await target.teardown(ctx);
});

describe('fuzz: tar layers', () => {
  it('applies or refuses with a named error every crafted, mutated or random archive, writing nothing outside the snapshot root', async () => {
    await assertTarget(target, { numRuns: 400, ctx });
  }, 60_000);
});

/**
 * The short, seeded run of a fuzz target inside `npm test`: one vitest case over a context set up once
 * per file (bench/fuzz.ts runs the same targets long).
 */
import { afterAll, beforeAll, it } from 'vitest';
import { assertTarget, type FuzzTarget } from './target.js';

/** Declares the vitest case `title` running `numRuns` seeded cases of `target`. */
export function fuzzTest<Ctx, In>(
  target: FuzzTarget<Ctx, In>,
  title: string,
  opts: { numRuns: number; timeoutMs?: number },
): void {
  let ctx: Ctx;
  beforeAll(async () => {
    ctx = await target.setup();
  });
  afterAll(async () => {
    if (ctx !== undefined) await target.teardown(ctx);
  });
  it(
    title,
    async () => {
      await assertTarget(target, { numRuns: opts.numRuns, ctx });
    },
    opts.timeoutMs ?? 60_000,
  );
}

/**
 * The shape every fuzz target shares, so the same target runs seeded and short in `npm test`
 * (`test/fuzz/*.test.ts`) and long in `bench/fuzz.ts` (100,000 cases per target, cases/s, failures,
 * peak RSS of the processes it drives).
 *
 * A target drives the *real* code at a boundary (the hub's API, the gateway's frame decoder, the
 * layer unpacker, the patch engine) and throws from `check` when a property breaks.
 */
import fc from 'fast-check';

/** One fuzzed boundary. */
export interface FuzzTarget<Ctx, In> {
  /** Short name, printed by the bench: `manifests`, `frames`, `tar-layers`, `patches`. */
  readonly name: string;
  /** Starts what the target drives (a hub, an agent, a temporary directory). */
  setup(): Promise<Ctx>;
  /** Inputs: random and mutated-from-valid. */
  arbitrary(ctx: Ctx): fc.Arbitrary<In>;
  /** Runs one case; throws an Error naming the broken property. */
  check(ctx: Ctx, input: In): Promise<void>;
  /** Processes whose peak RSS the bench reports, by role (`hub`, `agent`); the test process if absent. */
  pids?(ctx: Ctx): Record<string, number>;
  /** Stops what `setup` started; called even after a failure. */
  teardown(ctx: Ctx): Promise<void>;
}

/** Runs a target under fast-check's `assert` (stops, shrinks and reports at the first failure). */
export async function assertTarget<Ctx, In>(
  target: FuzzTarget<Ctx, In>,
  opts: { numRuns: number; seed?: number; ctx: Ctx },
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(target.arbitrary(opts.ctx), (input) => target.check(opts.ctx, input)),
    { numRuns: opts.numRuns, seed: opts.seed ?? 0x5eed, endOnFailure: true },
  );
}

/** What a long run found. */
export interface FuzzRun {
  cases: number;
  failures: number;
  seconds: number;
  /** The first few failures' messages (inputs are not printed: they can be megabytes). */
  firstFailures: string[];
}

/** Runs `cases` inputs without stopping at failures, counting them (the bench's mode). */
export async function countTarget<Ctx, In>(
  target: FuzzTarget<Ctx, In>,
  opts: { cases: number; seed: number; ctx: Ctx; batch?: number; onProgress?: (done: number) => void },
): Promise<FuzzRun> {
  const arb = target.arbitrary(opts.ctx);
  const batch = opts.batch ?? 1000;
  const started = performance.now();
  let failures = 0;
  const firstFailures: string[] = [];
  for (let done = 0; done < opts.cases;) {
    const n = Math.min(batch, opts.cases - done);
    for (const input of fc.sample(arb, { numRuns: n, seed: opts.seed + done })) {
      try {
        await target.check(opts.ctx, input);
      } catch (err) {
        failures++;
        if (firstFailures.length < 5) firstFailures.push(err instanceof Error ? err.message : String(err));
      }
    }
    done += n;
    opts.onProgress?.(done);
  }
  return { cases: opts.cases, failures, seconds: (performance.now() - started) / 1000, firstFailures };
}

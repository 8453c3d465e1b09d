/**
 * Long fuzz run: every target in test/fuzz/targets/ (the same ones `npm test` runs briefly), 100,000
 * cases each by default, printing cases/s, failures (goal 0) and the peak RSS of the processes each
 * target drives (the hub's and the agent's).
 *
 *   npx tsx bench/fuzz.ts [--cases 100000] [--seed 1] [--only manifests,frames]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { countTarget, type FuzzTarget } from '../test/fuzz/target.js';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '1' },
    only: { type: 'string' },
  },
});
const cases = Number(values.cases);
const seed = Number(values.seed);
const only = values.only?.split(',');

/** Peak resident set (VmHWM) of a pid in MB, or NaN once it is gone. */
function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

const dir = fileURLToPath(new URL('../test/fuzz/targets/', import.meta.url));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .sort();
const rows: string[] = [];
let failed = 0;
for (const file of files) {
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as { target: FuzzTarget<unknown, unknown> };
  const target = mod.target;
  if (only && !only.includes(target.name)) continue;
  const ctx = await target.setup();
  try {
    const pids = target.pids?.(ctx) ?? { test: process.pid };
    let lastPrint = 0;
    const run = await countTarget(target, {
      cases,
      seed,
      ctx,
      onProgress: (done) => {
        if (performance.now() - lastPrint > 10_000) {
          lastPrint = performance.now();
          process.stderr.write(`  ${target.name}: ${done}/${cases}\n`);
        }
      },
    });
    const rss = Object.entries(pids)
      .map(([role, pid]) => `${role} ${peakRssMb(pid).toFixed(0)} MB`)
      .join(', ');
    const row = `${target.name.padEnd(12)} ${run.cases} cases  ${(run.cases / run.seconds).toFixed(0)} cases/s  ${run.failures} failures  peak RSS: ${rss}`;
    console.log(row);
    rows.push(row);
    for (const f of run.firstFailures) console.log(`    failure: ${f.slice(0, 300)}`);
    failed += run.failures;
  } finally {
    await target.teardown(ctx);
  }
}
console.log(`\n${rows.length} targets, ${failed} failures`);
process.exitCode = failed > 0 ? 1 : 0;

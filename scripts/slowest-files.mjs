#!/usr/bin/env node
/**
 * Prints the slowest test files of a vitest JSON report (`node scripts/slowest-files.mjs REPORT [N]`,
 * N = 25 by default), one line each: seconds, pass/fail, path relative to the checkout. `.ci/run` calls
 * it at the end so a CI log carries where the suite's time went.
 *
 * The seconds are vitest's per-file span in that report: from the file's first test starting to its
 * last test ending. A file's `beforeAll` (a cluster starting) runs before its first test, so it is not
 * in the figure; the default reporter's per-file line includes it.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const [reportPath, countArg = '25'] = process.argv.slice(2);
const count = Number(countArg);
if (!reportPath || !Number.isInteger(count) || count < 1) {
  console.error('usage: node scripts/slowest-files.mjs REPORT.json [N (a positive integer, default 25)]');
  process.exit(2);
}
let report;
try {
  report = JSON.parse(readFileSync(reportPath, 'utf8'));
} catch (err) {
  console.error(`slowest-files: cannot read the vitest JSON report ${reportPath}: ${err.message}`);
  process.exit(1);
}
if (!Array.isArray(report.testResults)) {
  console.error(`slowest-files: ${reportPath} has no testResults array (not a vitest JSON report)`);
  process.exit(1);
}
const files = report.testResults
  .map((r) => ({ name: relative(process.cwd(), String(r.name)), status: r.status, ms: r.endTime - r.startTime }))
  .filter((f) => Number.isFinite(f.ms))
  .sort((a, b) => b.ms - a.ms);
const total = files.reduce((s, f) => s + f.ms, 0);
console.log(
  `slowest ${Math.min(count, files.length)} of ${files.length} test files (${reportPath}; first test start to last test end, sum ${(total / 1000).toFixed(1)} s):`,
);
for (const f of files.slice(0, count))
  console.log(`${(f.ms / 1000).toFixed(1).padStart(8)} s  ${f.status.padEnd(6)}  ${f.name}`);

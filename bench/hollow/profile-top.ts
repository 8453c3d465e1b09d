/**
 * Prints the top functions of a V8 CPU profile (`node --cpu-prof`, e.g. the hub's from
 * `bench/fleet.ts --cpu-prof <dir>`), by self time, or with `--inclusive` by inclusive time (the time
 * a function was anywhere on the stack, counted once per sample however deep it recursed):
 *   npx tsx bench/hollow/profile-top.ts <file.cpuprofile> [count] [--inclusive] [--match <regexp>]
 *     [--last <s>] [--drop-last <s>]
 * `--last 20 --drop-last 2` keeps the 20 s before the profile's last 2 s (e.g. a register-only fleet run
 * with `--idle 25s`: the idle hub, without its shutdown).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    inclusive: { type: 'boolean', default: false },
    match: { type: 'string' },
    last: { type: 'string' },
    'drop-last': { type: 'string' },
  },
});
const [file, countArg] = positionals;
if (!file) {
  console.error('usage: profile-top.ts <file.cpuprofile> [count] [--inclusive] [--match <regexp>]');
  process.exit(2);
}
const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const match = values.match ? new RegExp(values.match) : undefined;

function label(n: ProfileNode): string {
  const f = n.callFrame;
  const where = f.url ? `${f.url.replace(/^.*\/(node_modules|dist|src)\//, '$1/')}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
}

// Sample times from the profile's start (µs), to keep only a window before its end.
const at: number[] = [];
let clock = 0;
for (const dt of profile.timeDeltas) at.push((clock += dt));
const windowEnd = clock - Number(values['drop-last'] ?? 0) * 1e6;
const windowStart = values.last === undefined ? -Infinity : windowEnd - Number(values.last) * 1e6;

const time = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const n = byId.get(id);
  const dt = profile.timeDeltas[i] ?? 0;
  if (!n || at[i]! < windowStart || at[i]! > windowEnd) return;
  total += dt;
  if (!values.inclusive) {
    const key = label(n);
    time.set(key, (time.get(key) ?? 0) + dt);
    return;
  }
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const node = byId.get(cur);
    if (!node) break;
    const key = label(node);
    if (seen.has(key)) continue;
    seen.add(key);
    time.set(key, (time.get(key) ?? 0) + dt);
  }
});
const top = [...time.entries()]
  .filter(([k]) => !match || match.test(k))
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(countArg ?? 20));
console.log(`profile ${file}: ${(total / 1e6).toFixed(1)} s sampled, ${values.inclusive ? 'inclusive' : 'self'} time`);
for (const [k, us] of top)
  console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1e6).toFixed(2).padStart(7)} s  ${k}`);

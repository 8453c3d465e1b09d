/**
 * edgectl's start-up time (prints figures; not a test): the wall time of `node bin/edgectl.js get pods`
 * against a real hub app on loopback, a fresh process per run as a user or a script calls it, next to
 * `node -e ''` (node's own floor) and `edgectl --version` (start-up without the hub), with the hub in
 * EDGE_SERVER/EDGE_TOKEN and, as after `edgectl config set-cluster/set-credentials`, in a config file
 * (which costs the YAML and zod that read it). Issue 21's goal: under 150 ms for `get pods` on the
 * reference machine (2 cores). Figures are wall time; on a shared machine read the minimums.
 *
 * Run: npx tsx bench/cli-startup.ts [--runs 20] [--bin FILE]   (after npm run build)
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHub } from '../src/hub/testing/index.js';
const runsAt = process.argv.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(process.argv[runsAt + 1]) : 20;
// `--bin FILE` measures another build of edgectl (e.g. a bundled one) in place of bin/edgectl.js.
const binAt = process.argv.indexOf('--bin');
const BIN = binAt >= 0 ? (process.argv[binAt + 1] ?? '') : join(import.meta.dirname, '..', 'bin', 'edgectl.js');

/** Wall time of one process run, in ms; fails on a non-zero exit. */
function timeRun(args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const p = spawn(process.execPath, args, { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: 'ignore' });
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) reject(new Error(`${args.join(' ')} exited ${code}`));
      else resolve(Number(process.hrtime.bigint() - start) / 1e6);
    });
  });
}

function summary(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return `p50 ${at(0.5).toFixed(0)} ms   p90 ${at(0.9).toFixed(0)} ms   min ${(s[0] ?? NaN).toFixed(0)} ms`;
}

const hub = await startTestHub();
const home = await mkdtemp(join(tmpdir(), 'edgectl-bench-'));
const env = { EDGE_SERVER: hub.url, EDGE_TOKEN: hub.adminToken, HOME: home };
// The same hub through a config file, as a user has it after `edgectl config set-cluster …`.
const fileHome = join(home, 'with-config');
await mkdir(join(fileHome, '.edge'), { recursive: true });
await writeFile(
  join(fileHome, '.edge', 'config'),
  [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: bench, cluster: {server: "' + hub.url + '"}}]',
    'users: [{name: bench, user: {token: "' + hub.adminToken + '"}}]',
    'contexts: [{name: bench, context: {cluster: bench, user: bench}}]',
    'current-context: bench',
    '',
  ].join('\n'),
  { mode: 0o600 },
);
const fileEnv = { HOME: fileHome };
try {
  const cases: [string, string[], Record<string, string>][] = [
    ["node -e ''", ['-e', ''], env],
    ['edgectl --version', [BIN, '--version'], env],
    ['edgectl get pods', [BIN, 'get', 'pods'], env],
    ['edgectl get pods -o jsonpath', [BIN, 'get', 'pods', '-o', 'jsonpath={.items[*].metadata.name}'], env],
    ['edgectl get pods (config file)', [BIN, 'get', 'pods'], fileEnv],
    ['edgectl get pods -o yaml', [BIN, 'get', 'pods', '-o', 'yaml'], env],
  ];
  // One warm-up of each (file cache), then the measured runs, interleaved so load drifts hit all alike.
  for (const [, args, e] of cases) await timeRun(args, e);
  const times = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  for (let i = 0; i < RUNS; i++) for (const [name, args, e] of cases) times.get(name)?.push(await timeRun(args, e));
  console.log(`edgectl start-up, ${RUNS} runs each (fresh process per run, hub app on loopback):`);
  for (const [name] of cases) console.log(`  ${name.padEnd(30)} ${summary(times.get(name) ?? [])}`);
} finally {
  await hub.close();
  await rm(home, { recursive: true, force: true });
}

/**
 * The newcomer path, timed: a fresh clone → `npm install` → `npm run demo -- --once` answering, as the
 * README's two set-up commands say, each step's wall time printed.
 *
 *   npx tsx bench/newcomer.ts                    # clones this checkout's HEAD
 *   BENCH_REPO=https://github.com/… npx tsx bench/newcomer.ts
 *   BENCH_COLD_NPM_CACHE=1 …                     # an empty npm cache, as on a fresh machine (downloads)
 *   BENCH_ADDRESSES=127.0.71                     # the demo's loopback /24 (hub .1, nodes .2 and .3)
 *
 * It also checks the issue's side conditions: `npm install` leaves the committed lock file unchanged,
 * and the demo builds only the components it deploys (the other examples stay unbuilt).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const repo = process.env.BENCH_REPO ?? ROOT;
const net = process.env.BENCH_ADDRESSES ?? '127.0.71';
const work = mkdtempSync(join(tmpdir(), 'edgeplane-newcomer-'));
const clone = join(work, 'edgeplane');
const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true' };
const coldCache = process.env.BENCH_COLD_NPM_CACHE === '1';
if (coldCache) env.npm_config_cache = join(work, 'npm-cache');

/** Runs a command in the clone with its output in a log; resolves to its wall time in seconds. */
function timed(label: string, cmd: string, args: string[], cwd = clone): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => {
      const s = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) fail(new Error(`${label} failed (exit ${code}):\n${out.slice(-4000)}`));
      else done(s);
    });
  });
}

async function main(): Promise<void> {
  const rows: [string, number][] = [];
  try {
    rows.push(['git clone', await timed('git clone', 'git', ['clone', '--quiet', repo, clone], work)]);
    rows.push(['npm install', await timed('npm install', 'npm', ['install', '--no-audit', '--no-fund'])]);
    const lockChanged = spawnSync('git', ['status', '--porcelain', 'package-lock.json'], {
      cwd: clone,
      encoding: 'utf8',
    }).stdout.trim();
    rows.push([
      'npm run demo -- --once',
      await timed('npm run demo', 'npm', [
        'run',
        'demo',
        '--',
        '--once',
        '--hub-address',
        `${net}.1:7400`,
        '--node-addresses',
        `${net}.2,${net}.3`,
      ]),
    ]);
    const total = rows.reduce((a, [, s]) => a + s, 0);
    const unbuilt = ['hello-c', 'countdown', 'cpu-burn', 'probe-demo'].filter(
      (app) => !existsSync(join(clone, 'examples', 'wasm-apps', app, 'dist')),
    );
    console.log(`\nfresh clone → demo answering (${repo === ROOT ? 'this checkout' : repo})`);
    console.log('| step | wall time |\n|---|---|');
    for (const [step, s] of rows) console.log(`| ${step} | ${s.toFixed(1)} s |`);
    console.log(`| **total** | **${total.toFixed(1)} s** (goal < 240 s) |`);
    console.log(`lock file after npm install: ${lockChanged === '' ? 'unchanged' : `CHANGED (${lockChanged})`}`);
    console.log(`examples left unbuilt by the demo: ${unbuilt.join(', ') || 'none (it built more than it deploys)'}`);
    console.log(`npm cache: ${coldCache ? 'empty (cold: every package downloaded)' : 'the machine’s own (warm)'}`);
    console.log(
      `load average at the end: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});

/**
 * The floor under an idle agent: the RSS of a `node` process that has only loaded what every agent
 * must load — the built-ins of a TLS WebSocket client and server (`tls`, `https`, `crypto`, `zlib`,
 * `worker_threads`) and the libraries of its hub link (ws, msgpackr, zod, pino) — and does nothing.
 * No agent can be below this on the same `node`; bare `node` is printed beside it, and the last floor
 * again as one minified bundle (as `npm run build` bundles the agent).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ROOT } from '../wasm-support.js';
import { MB, SETTLE_MS } from './options.js';

/** Each floor: a label and the modules it imports. */
const FLOORS: [string, string[]][] = [
  ['bare node', []],
  [
    'node + tls/https/crypto/zlib/worker_threads',
    ['node:tls', 'node:https', 'node:crypto', 'node:zlib', 'node:worker_threads'],
  ],
  [
    'that + ws, msgpackr, zod, pino',
    ['node:tls', 'node:https', 'node:crypto', 'node:zlib', 'node:worker_threads', 'ws', 'msgpackr', 'zod', 'pino'],
  ],
];

/** A process's RSS (and its file-backed part: pages of the `node` binary and its libraries). */
interface Floor {
  rss: number;
  file: number;
}

/** The floor of a process that imported `modules` (`bundled`: as one minified esbuild bundle). */
async function floorOf(modules: string[], nodeOptions: string[], bundled = false): Promise<Floor> {
  // Each module is kept reachable, so a bundler cannot drop it.
  const imports = modules.map((m, i) => `import * as m${i} from ${JSON.stringify(m)}; globalThis.m${i} = m${i};`);
  const source = `${imports.join('\n')}\nsetInterval(() => {}, 1e6);`;
  if (!bundled) return measure(['--input-type=module', '-e', source], nodeOptions);
  const dir = mkdtempSync(join(tmpdir(), 'agent-floor-'));
  try {
    await build({
      stdin: { contents: source, resolveDir: ROOT, loader: 'js' },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'node',
      outfile: join(dir, 'floor.mjs'),
      external: ['msgpackr-extract'],
      banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
      logLevel: 'warning',
    });
    return await measure([join(dir, 'floor.mjs')], nodeOptions);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `node <nodeOptions> <args>` idle and reads its RSS after the settle time. */
async function measure(args: string[], nodeOptions: string[]): Promise<Floor> {
  const child = spawn(process.execPath, [...nodeOptions, ...args], { cwd: ROOT, stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), file: kb('RssFile') };
  } finally {
    child.kill('SIGKILL');
  }
}

/** Prints each floor, with and without the small-device flags. */
export async function measureFloors(smallDeviceFlags: string): Promise<void> {
  const last = FLOORS[FLOORS.length - 1]!;
  for (const [label, modules, bundled] of [...FLOORS, [`${last[0]}, bundled`, last[1], true] as const]) {
    const plain = await floorOf(modules, [], bundled);
    const small = await floorOf(modules, smallDeviceFlags.split(' ').filter(Boolean), bundled);
    console.log(
      `  floor: ${label.padEnd(46)} RSS ${(plain.rss / MB).toFixed(1).padStart(5)} MB (of it the node binary ${(plain.file / MB).toFixed(1)} MB); small-device flags ${(small.rss / MB).toFixed(1)} MB`,
    );
  }
}

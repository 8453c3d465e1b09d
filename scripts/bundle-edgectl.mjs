#!/usr/bin/env node
// `npm run build`'s last step: edgectl bundled by esbuild into dist/edgectl/ (main.js and a chunk per
// lazily loaded command), from the compiled dist/cli/. edgectl is a short-lived process whose start-up
// is mostly Node resolving and reading modules (bench/cli-startup.ts): `get pods` read ~50 files, the
// bundle reads ~15. Code splitting keeps the command table's laziness: each command's chunk loads only
// when that command runs. bin/edgectl.js runs the bundle when it is newer than the tsc build
// (dist/.tsbuildinfo), else dist/cli/main.js, so a plain `tsc` rebuild never runs stale code.
// esbuild is a dev tool: where it is not installed, the bundle is skipped and edgectl runs unbundled.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist', 'edgectl');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.log('bundle-edgectl: esbuild is not installed; edgectl runs from dist/cli (slower start-up)');
  process.exit(0);
}

/**
 * commander requires node:child_process at load, for executable subcommands edgectl never has; that
 * built-in (and the net, dgram and stream modules it pulls in) is loaded on first use instead.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(build) {
    build.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes('/node_modules/commander/') ? { path: 'child_process', namespace: 'lazy' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_, key) => require('node:child_process')[key] });",
      loader: 'js',
    }));
  },
};

rmSync(OUT, { recursive: true, force: true });
await esbuild.build({
  entryPoints: [join(ROOT, 'dist', 'cli', 'main.js')],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Chunks beside main.js: dist/edgectl/x.js is two levels below the package root, as dist/cli/x.js
  // is, so `new URL('../../package.json', import.meta.url)` finds the same file.
  outdir: OUT,
  chunkNames: '[name]-[hash]',
  // commander is CommonJS: its require() of Node's built-ins needs a real require in an ES module.
  banner: {
    js: "import { createRequire as __edgectlRequire } from 'node:module'; const require = __edgectlRequire(import.meta.url);",
  },
  plugins: [lazyChildProcess],
  logLevel: 'warning',
});

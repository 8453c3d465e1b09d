#!/usr/bin/env node
// `npm run build`'s step after tsc: the edge-node agent bundled by esbuild into dist/agent/ (main.js
// and a chunk per lazily loaded part), from the compiled dist/edge-node/. Why: an idle agent's memory
// is mostly the code it loaded — every module's source text, its module record, and libraries read
// whole where a few exports are used (zod's locales). Bundled, minified and tree-shaken, the same code
// holds ~25 MB less RSS (docs/benchmarks.md, "a lean agent"). bin/edge-node.js runs the bundle when it
// is newer than the tsc build (dist/.tsbuildinfo), else dist/edge-node/main.js.
//
// Worker threads (the Wasm executors, the transpiler, the certificate worker) are started from their
// compiled files in dist/, unbundled: each module's `import.meta.url` is rewritten to its own file's
// URL, so `new URL('./x-worker.js', import.meta.url)` and `createRequire(import.meta.url)` mean what
// they meant before bundling. esbuild is a dev tool: without it the agent runs unbundled.
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const OUT = join(DIST, 'agent');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.log('bundle-edge-node: esbuild is not installed; the agent runs from dist/edge-node');
  process.exit(0);
}

/** Each of our compiled modules keeps its own `import.meta.url` (relative to the bundle's chunks). */
const ownUrls = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.startsWith(DIST + sep)) return undefined;
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const rel = relative(OUT, args.path).split(sep).join('/');
      return {
        contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`),
        loader: 'js',
      };
    });
  },
};

await rm(OUT, { recursive: true, force: true });
await esbuild.build({
  entryPoints: [join(DIST, 'edge-node', 'main.js')],
  bundle: true,
  splitting: true,
  minify: true,
  // Class and function names stay: errors and logs name them.
  keepNames: true,
  // Beside each chunk, for `node --enable-source-maps` (read only then: no memory otherwise).
  sourcemap: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: OUT,
  chunkNames: '[name]-[hash]',
  // Loaded by the workers or on first use, from node_modules as before: jco (the transpile worker),
  // undici (src/platform/undici.ts), msgpackr's optional native extension.
  external: ['@bytecodealliance/*', 'undici', 'msgpackr-extract'],
  // CommonJS dependencies call require() for Node's built-ins: a real require in an ES module.
  banner: {
    js: "import { createRequire as __agentRequire } from 'node:module'; const require = __agentRequire(import.meta.url);",
  },
  plugins: [ownUrls],
  logLevel: 'warning',
});

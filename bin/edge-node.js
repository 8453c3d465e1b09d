#!/usr/bin/env node
// The edge-node agent; runs the compiled JavaScript (`npm run build`).
import { statSync } from 'node:fs';

/**
 * The esbuild bundle (scripts/bundle-edge-node.mjs: the same code in far less memory) when it was
 * built after the last tsc build, else the tsc output itself: a bare `tsc` rebuild must never leave
 * the agent running the previous code.
 */
function entry() {
  const mtime = (rel) => statSync(new URL(rel, import.meta.url), { throwIfNoEntry: false })?.mtimeMs;
  const bundled = mtime('../dist/agent/main.js');
  const built = mtime('../dist/.tsbuildinfo') ?? 0;
  return bundled !== undefined && bundled >= built ? '../dist/agent/main.js' : '../dist/edge-node/main.js';
}
await import(entry());

#!/usr/bin/env node
// edgectl runs the compiled CLI (npm run build); see src/cli/main.ts.
import module from 'node:module';
import { statSync } from 'node:fs';

// Node 22.1+ keeps V8's compiled code of the CLI's modules on disk (in the OS temp dir, or
// NODE_COMPILE_CACHE), so later runs skip compiling them; Node 20 has no such cache. Called before
// the CLI is imported, hence the dynamic import below.
module.enableCompileCache?.();

/**
 * The esbuild bundle (scripts/bundle-edgectl.mjs: far fewer files to resolve and read at start-up)
 * when it was built after the last tsc build, else the tsc output itself: a bare `tsc` rebuild must
 * never leave edgectl running the previous code.
 */
function entry() {
  const mtime = (rel) => statSync(new URL(rel, import.meta.url), { throwIfNoEntry: false })?.mtimeMs;
  const bundled = mtime('../dist/edgectl/main.js');
  const built = mtime('../dist/.tsbuildinfo') ?? 0;
  return bundled !== undefined && bundled >= built ? '../dist/edgectl/main.js' : '../dist/cli/main.js';
}
const { run } = await import(entry());

const controller = new AbortController();
let interrupted = false;
const onSignal = () => {
  // First Ctrl-C ends watches and log streams cleanly; a second one exits at once.
  if (interrupted) process.exit(130);
  interrupted = true;
  controller.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

// A closed pipe (`edgectl get pods | head`) is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  signal: controller.signal,
});
process.exitCode = interrupted && code === 0 ? 0 : code;

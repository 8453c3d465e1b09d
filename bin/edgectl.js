#!/usr/bin/env node
// edgectl runs the compiled CLI (npm run build); see src/cli/main.ts.
import module from 'node:module';

// Node 22.1+ keeps V8's compiled code of the CLI's modules on disk (in the OS temp dir, or
// NODE_COMPILE_CACHE), so later runs skip compiling them; Node 20 has no such cache. Called before
// the CLI is imported, hence the dynamic import below.
module.enableCompileCache?.();
const { run } = await import('../dist/cli/main.js');

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

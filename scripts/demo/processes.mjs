/**
 * The demo's child processes (the hub and the nodes, from the compiled bins): started with their
 * output in <data-dir>/<name>.log, all stopped together on exit, Ctrl-C, SIGTERM, SIGHUP or a crash.
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { DATA, ROOT } from './options.mjs';
import { say } from './util.mjs';

const children = [];
let stopping = false;

/** Starts `bin/<bin> ...argv` as the demo's process `name`; says so should it exit before stopAll. */
export function start(name, bin, argv) {
  const log = openSync(join(DATA, `${name}.log`), 'a');
  const child = spawn(process.execPath, [join(ROOT, 'bin', bin), ...argv], { stdio: ['ignore', log, log] });
  child.on('exit', (code, signal) => {
    if (!stopping) say(`!! ${name} exited (${signal ?? code}); see ${join(DATA, `${name}.log`)}`);
  });
  children.push(child);
  return child;
}

/** Sends every child SIGTERM, then exits with `code` half a second later (time for them to go). */
export function stopAll(code) {
  stopping = true;
  // The code stands even when the loop empties before the timer (every child gone within 500 ms).
  process.exitCode = code;
  for (const c of children) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 500).unref();
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));
// A closed terminal, or a reader of our output gone (`npm run demo | head`): stop too.
process.on('SIGHUP', () => stopAll(129));
process.stdout.on('error', () => stopAll(1));
// However the demo ends (a crash included), no hub or node outlives it.
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
});

/**
 * Runs the builds side by side, each in its own child process: componentize-js peaks around 800 MB
 * and does not give the memory back, so a child per build returns it. Each child's output is prefixed
 * with its app's name, and a build still running says so every 15 s.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { groupOf } from './apps.mjs';

/** Builds side by side: --jobs N, EDGEPLANE_BUILD_JOBS, or the cores, at most one per GB of memory. */
export function jobCount(args) {
  const i = args.indexOf('--jobs');
  const asked = Number(i >= 0 ? args[i + 1] : process.env.EDGEPLANE_BUILD_JOBS);
  if (Number.isInteger(asked) && asked > 0) return asked;
  return Math.max(1, Math.min(availableParallelism(), Math.floor(totalmem() / 2 ** 30)));
}

/** Runs one build (`script --one <app>`) in a child process, its output prefixed; resolves to success. */
function buildInChild(script, item) {
  item.started = Date.now();
  console.log(`building ${item.name} → ${item.rel} ...`);
  return new Promise((resolveDone) => {
    const child = spawn(process.execPath, [script, '--one', item.appDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // From the group folder, so an app's imports of the group's shared files resolve (componentize-js
      // lets the source see the working directory when the source is under it).
      ...(groupOf(item.appDir) ? { cwd: groupOf(item.appDir) } : {}),
      env: { ...process.env, CI: 'true' },
    });
    for (const [from, to] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ]) {
      let rest = '';
      from.setEncoding('utf8');
      from.on('data', (chunk) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) to.write(`  [${item.name}] ${line}\n`);
      });
      from.on('end', () => {
        if (rest.trim()) to.write(`  [${item.name}] ${rest}\n`);
      });
    }
    const progress = setInterval(() => {
      console.log(`  ... still building ${item.name} (${Math.round((Date.now() - item.started) / 1000)} s)`);
    }, 15_000);
    child.on('close', (code, signal) => {
      clearInterval(progress);
      if (code !== 0) console.error(`FAILED ${item.name} (exit ${code ?? signal})`);
      resolveDone(code === 0);
    });
  });
}

/**
 * Builds every item of `todo` ({ appDir, name, output, hashFile, hash, rel }), `jobs` at a time, by
 * running `script --one <appDir>` per item; stores each success's hash beside its output (only after
 * the build, so a failed one is retried next time). `failed` is the count of failures so far (apps
 * whose recipe or hash could not be read); the closing "built N/M" line subtracts those too. Resolves
 * to that count plus the failed builds.
 */
export async function runBuilds(script, todo, jobs, failed) {
  console.log(
    `building ${todo.length} component${todo.length === 1 ? '' : 's'}, ${jobs} at a time ` +
      '(a first build takes about 20-40 s each on a small machine; later runs reuse the cached outputs)',
  );
  const started = Date.now();
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < todo.length) {
      const item = todo[next++];
      const ok = await buildInChild(script, item);
      done++;
      if (!ok) {
        failed++;
        continue;
      }
      await writeFile(item.hashFile, item.hash + '\n');
      const { size } = statSync(item.output);
      const shown = size >= 1e6 ? `${(size / 1e6).toFixed(1)} MB` : `${(size / 1e3).toFixed(0)} KB`;
      console.log(
        `built ${item.name}: ${item.rel} (${shown}) in ${((Date.now() - item.started) / 1000).toFixed(1)} s ` +
          `[${done}/${todo.length}]`,
      );
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  console.log(`built ${todo.length - failed}/${todo.length} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return failed;
}

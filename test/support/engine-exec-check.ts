/**
 * The real kubectl's `exec -i`, `exec -it` (on a pty of its own, sized and resized) and `cp` against
 * one pod on an Engine API daemon (podman or dockerd), as `oci-engine.test.ts` runs it on each (the
 * Engine API's hijacked exec); then kubectl killed mid-command, whose command the node must kill.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { until } from './cluster.js';
import { KUBECTL, kubectl } from './kubectl.js';

/** Runs the checks against `pod` with the kubeconfig `config`; `dir` holds the files copied. */
export async function checkEngineExec(config: string, dir: string, pod: string, blob: Buffer): Promise<void> {
  const k = (args: string[], stdin?: string) => kubectl(config, args, { stdin });
  writeFileSync(join(dir, 'blob.bin'), blob);
  const r = await k(['exec', '-i', pod, '--', 'sh', '-c', 'cat; echo oops >&2; exit 7'], 'hi\nthere\n');
  expect(r.code, `${pod}: ${r.err}`).toBe(7);
  expect(r.out).toBe('hi\nthere\n');
  expect(r.err).toContain('oops\n');
  // kubectl cp runs tar in the container: the image has busybox but no tar link.
  expect((await k(['exec', pod, '--', 'busybox', 'ln', '-sf', 'busybox', '/bin/tar'])).code).toBe(0);
  const up = await k(['cp', join(dir, 'blob.bin'), `${pod}:/tmp/blob.bin`]);
  expect(up.code, up.err).toBe(0);
  const back = join(dir, `${pod}.bin`);
  const down = await k(['cp', `${pod}:/tmp/blob.bin`, back]);
  expect(down.code, down.err).toBe(0);
  expect(readFileSync(back).equals(blob), pod).toBe(true);

  // -it: kubectl on a pty of its own (util-linux script), sized 91x33; then resized to 120x50.
  const ttyFile = join(dir, `${pod}.tty`);
  const line = `tty > '${ttyFile}'; stty cols 91 rows 33; exec '${KUBECTL}' --kubeconfig '${config}' exec -it ${pod} -- sh`;
  const p = spawn('script', ['-q', '-e', '-E', 'never', '-c', line, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, SHELL: '/bin/sh' },
  });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = new Promise<number | null>((resolve) => p.on('close', resolve));
  const said = (err: unknown): never => {
    throw new Error(`${String(err)}; kubectl printed ${JSON.stringify(out)}`);
  };
  try {
    await until(`${pod}: the shell prompt`, () => out.includes('/ # '), 30_000, 50).catch(said);
    const sizeIs = (rows: number, cols: number) => async () => {
      p.stdin.write('busybox stty size\r');
      await new Promise((resolve) => setTimeout(resolve, 200));
      return new RegExp(`${rows} ${cols}\r?\n`).test(out);
    };
    await until(`${pod}: the first size inside`, sizeIs(33, 91), 30_000, 0).catch(said);
    spawn('stty', ['-F', readFileSync(ttyFile, 'utf8').trim(), 'cols', '120', 'rows', '50']);
    await until(`${pod}: the new size inside`, sizeIs(50, 120), 30_000, 0).catch(said);
    p.stdin.write('exit 5\r');
    expect(await code, out).toBe(5);
  } finally {
    p.kill('SIGKILL');
  }

  // kubectl killed mid-command: the hub cancels the stream, the node kills the exec's process.
  const sleeper = spawn(KUBECTL, ['--kubeconfig', config, 'exec', pod, '--', 'sh', '-c', 'echo up; sleep 4243']);
  let up2 = '';
  sleeper.stdout.on('data', (d: Buffer) => (up2 += d.toString()));
  await until(`${pod}: the command started`, () => up2 === 'up\n', 30_000, 50);
  sleeper.kill('SIGKILL');
  await until(
    `${pod}: sleep 4243 gone from the container`,
    async () => {
      const ps = await k(['exec', pod, '--', 'ps']);
      return ps.code === 0 && !ps.out.includes('sleep 4243');
    },
    30_000,
    200,
  );
}

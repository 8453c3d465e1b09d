import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const child = fileURLToPath(new URL('./testdata/gc-child.ts', import.meta.url));

// better-sqlite3 12 aborts Node >= 24.19 whenever the garbage collector frees one of its objects
// (`Assertion failed: (env) != nullptr`), also a closed store's: the store must pick a binding that
// survives that on the running Node. In a child process, because the failure is an abort.
it('survives the garbage collection of closed stores', async () => {
  const proc = spawn(process.execPath, ['--import', 'tsx', child], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (c, s) => resolve([c, s]));
  });
  expect(stderr).not.toContain('Assertion failed');
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  expect(stdout).toBe('collected 4000000\n');
});

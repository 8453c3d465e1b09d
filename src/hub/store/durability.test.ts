import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { silentLogger } from '../../platform/index.js';
import { SqliteStore } from './sqlite-store.js';

const child = fileURLToPath(new URL('./testdata/durability-child.ts', import.meta.url));
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('keeps every acknowledged write after kill -9', async () => {
  dir = mkdtempSync(join(tmpdir(), 'store-kill-'));
  const path = join(dir, 'hub.db');
  const proc = spawn(process.execPath, ['--import', 'tsx', child, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acked: string[] = [];
  let buf = '';
  await new Promise<void>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('exit', () => resolve());
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      acked.push(...lines);
      if (acked.length >= 200 && !proc.killed) proc.kill('SIGKILL');
    });
  });
  expect(proc.signalCode).toBe('SIGKILL');
  expect(acked.length).toBeGreaterThanOrEqual(200);
  const store = await SqliteStore.create({ path, logger: silentLogger() });
  const keys = new Set((await store.list('/registry/')).items.map((i) => i.key));
  const missing = acked.filter((k) => !keys.has(k));
  expect(missing).toEqual([]);
  expect(await store.revision()).toBeGreaterThanOrEqual(acked.length);
  await store.close();
});

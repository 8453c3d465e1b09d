import { mkdtempSync, readFileSync, readdirSync, statSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishDurable, writeFileDurable, writeFileDurableSync } from './index.js';

describe('durable files', () => {
  it('replaces content whole, with the mode asked for, leaving no temporary behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'durable-'));
    const f = join(dir, 'token');
    writeFileDurableSync(f, 'old');
    await writeFileDurable(f, 'new', { mode: 0o600 });
    expect(readFileSync(f, 'utf8')).toBe('new');
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['token']);
  });

  it('leaves the old content when the write fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'durable-'));
    const f = join(dir, 'x');
    writeFileDurableSync(f, 'old');
    await expect(writeFileDurable(join(dir, 'missing', 'x'), 'new')).rejects.toThrow(/ENOENT/);
    expect(readFileSync(f, 'utf8')).toBe('old');
  });

  it('publishes a directory tree by rename', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'durable-'));
    const tmp = join(dir, 'tree.tmp');
    mkdirSync(join(tmp, 'a'), { recursive: true });
    writeFileSync(join(tmp, 'a', 'f'), 'x');
    await publishDurable(tmp, join(dir, 'tree'));
    expect(readFileSync(join(dir, 'tree', 'a', 'f'), 'utf8')).toBe('x');
    expect(existsSync(tmp)).toBe(false);
  });
});

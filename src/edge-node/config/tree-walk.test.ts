import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { walkTree } from './tree-walk.js';
import { directoryBytes } from './usage.js';

describe('walkTree', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ep-walk-'));
    await mkdir(path.join(dir, 'a/b'), { recursive: true });
    await writeFile(path.join(dir, 'a/b/f'), 'x'.repeat(5000));
    await writeFile(path.join(dir, 'top'), 'y');
    // A link out of the tree: listed as itself, never followed.
    await symlink('/etc', path.join(dir, 'out'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('hands out every entry once, the root first, without following symlinks', async () => {
    const seen: string[] = [];
    for await (const e of walkTree(dir, 'throw')) seen.push(path.relative(dir, e.path) || '.');
    expect(seen[0]).toBe('.');
    expect([...seen].sort()).toEqual(['.', 'a', 'a/b', 'a/b/f', 'out', 'top']);
  });

  it('yields nothing for a missing root, and counts bytes as du does', async () => {
    const none: string[] = [];
    for await (const e of walkTree(path.join(dir, 'missing'), 'skip')) none.push(e.path);
    expect(none).toEqual([]);
    expect(await directoryBytes(path.join(dir, 'missing'))).toBe(0);
    const bytes = await directoryBytes(dir);
    expect(bytes).toBeGreaterThanOrEqual(5001);
    // Stops early once past the limit.
    expect(await directoryBytes(dir, 10)).toBeGreaterThan(10);
  });
});

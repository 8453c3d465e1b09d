/**
 * A bounded walk of a volume's tree, shared by the emptyDir size check (`usage.ts`) and fsGroup
 * ownership (`volume-ownership.ts`): depth-first, symlinks not followed (an entry's own `lstat`), and a
 * directory is read only after its entry was handed out, so the caller may fix its mode first.
 */
import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/** One entry of the tree: its path and its own (not followed) status. */
export interface TreeEntry {
  path: string;
  stat: Stats;
}

/**
 * Every entry under `dir`, `dir` first; an entry gone by the time it is read is skipped. A directory
 * that cannot be read is skipped with `unreadable: 'skip'`, or fails the walk with `'throw'`.
 */
export async function* walkTree(dir: string, unreadable: 'skip' | 'throw'): AsyncGenerator<TreeEntry> {
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop()!;
    const stat = await lstat(current).catch(() => undefined);
    if (!stat) continue;
    yield { path: current, stat };
    if (!stat.isDirectory()) continue;
    const names = unreadable === 'skip' ? await readdir(current).catch(() => [] as string[]) : await readdir(current);
    for (const name of names) stack.push(path.join(current, name));
  }
}

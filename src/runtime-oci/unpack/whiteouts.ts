/**
 * The merged view of the layers beneath one being applied (snapshot directories, top-most first), as
 * overlayfs will show it, and overlay whiteouts (0/0 character devices). Only what is visible beneath
 * gets a whiteout, so no extended attributes are needed. Every lookup stays inside its snapshot: a
 * parent that is a symlink or a file hides what lies below it, as it does in the merged view.
 */
import type { Stats } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { runCommand } from '../command.js';
import { lookupIn } from './root-path.js';

/** True for an overlay whiteout. */
export const isWhiteout = (st: Stats): boolean => st.isCharacterDevice() && st.rdev === 0;

/** Creates an overlay whiteout at host path `p` (whose parents have been made and checked). */
export async function makeWhiteout(p: string): Promise<void> {
  await runCommand('mknod', [p, 'c', '0', '0']);
}

/** What the merged view of `lowers` has at `rel`: a host path and its stat, or undefined. */
export async function findBeneath(
  lowers: readonly string[],
  rel: string,
): Promise<{ path: string; stat: Stats } | undefined> {
  for (const lower of lowers) {
    const r = await lookupIn(lower, rel);
    if (r.kind === 'blocked') return undefined;
    if (r.kind === 'found') return isWhiteout(r.stat) ? undefined : { path: r.path, stat: r.stat };
  }
  return undefined;
}

/** Whether `rel` exists in the merged view of `lowers`. */
export async function visibleBeneath(lowers: readonly string[], rel: string): Promise<boolean> {
  return (await findBeneath(lowers, rel)) !== undefined;
}

/** The names the merged view of `lowers` shows in directory `rel`. */
export async function namesBeneath(lowers: readonly string[], rel: string): Promise<string[]> {
  const seen = new Set<string>();
  const visible: string[] = [];
  for (const lower of lowers) {
    const r = await lookupIn(lower, rel);
    if (r.kind === 'blocked') break;
    if (r.kind === 'missing') continue;
    if (!r.stat.isDirectory()) break;
    for (const name of await readdir(r.path)) {
      if (seen.has(name)) continue;
      seen.add(name);
      const child = await lookupIn(lower, posix.join(rel, name));
      if (child.kind === 'found' && !isWhiteout(child.stat)) visible.push(name);
    }
  }
  return visible;
}

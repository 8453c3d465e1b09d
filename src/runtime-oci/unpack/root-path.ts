/**
 * Paths of a layer, resolved inside its snapshot root the way `openat` with `RESOLVE_IN_ROOT |
 * RESOLVE_NO_SYMLINKS` would: one component at a time, each parent `lstat`ed, never followed through
 * a symlink. A layer's paths are the archive's own (tar records a path as walked, never through a
 * symlink), so a parent that is a symlink is refused rather than resolved: that is how an archive
 * tries to reach the node's files (`evil -> /etc`, then `evil/passwd`).
 */
import type { Stats } from 'node:fs';
import { lstat, mkdir } from 'node:fs/promises';
import { posix } from 'node:path';

/** A layer that cannot be applied (a path escaping the root, a link out of the image, too many entries). */
export class LayerError extends Error {
  override readonly name = 'LayerError';
}

/** `./a//b/` → `a/b`; resolved from the root, so `..` cannot climb above it (as containerd does). */
export function cleanPath(p: string): string {
  if (p.includes('\0')) throw new LayerError(`path ${JSON.stringify(p.slice(0, 200))} contains a NUL byte`);
  const normalized = posix.normalize(`/${p}`).replace(/^\/+/, '').replace(/\/+$/, '');
  return normalized === '.' ? '' : normalized;
}

/** `root` joined with a cleaned relative path. */
export function hostPath(root: string, rel: string): string {
  return rel === '' ? root : `${root}/${rel}`;
}

/** `lstat`, or undefined when nothing is there. */
export async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function describe(st: Stats): string {
  return st.isSymbolicLink() ? 'a symlink' : 'a non-directory';
}

/**
 * Creates the missing directories of `rel` (0755) under `root`, refusing to pass through anything but
 * a real directory (`what`, naming the entry, starts the error). Returns the host path of `rel`.
 */
export async function ensureDirIn(root: string, rel: string, what: string): Promise<string> {
  let cur = root;
  const parts = rel === '' ? [] : rel.split('/');
  for (let i = 0; i < parts.length; i++) {
    cur = `${cur}/${parts[i]}`;
    const st = await lstatOrUndefined(cur);
    if (!st) await mkdir(cur, { mode: 0o755 });
    else if (!st.isDirectory())
      throw new LayerError(`${what} passes through ${describe(st)} ("${parts.slice(0, i + 1).join('/')}")`);
  }
  return cur;
}

/** Where a lookup ended. */
export type Lookup =
  | { kind: 'found'; path: string; stat: Stats }
  | { kind: 'missing' }
  /** A parent component is a symlink or not a directory: the path does not exist in this tree. */
  | { kind: 'blocked'; at: string; stat: Stats };

/** Finds `rel` under `root` without following any symlink on the way (the last component included). */
export async function lookupIn(root: string, rel: string): Promise<Lookup> {
  const parts = rel === '' ? [] : rel.split('/');
  let cur = root;
  for (let i = 0; i < parts.length; i++) {
    cur = `${cur}/${parts[i]}`;
    const st = await lstatOrUndefined(cur);
    if (!st) return { kind: 'missing' };
    if (i === parts.length - 1) return { kind: 'found', path: cur, stat: st };
    if (!st.isDirectory()) return { kind: 'blocked', at: parts.slice(0, i + 1).join('/'), stat: st };
  }
  return { kind: 'found', path: root, stat: await lstat(root) };
}

/** Like {@link lookupIn}, but a parent that is a symlink or a file is an error naming it. */
export async function lookupStrict(
  root: string,
  rel: string,
  what: string,
): Promise<Extract<Lookup, { kind: 'found' }> | undefined> {
  const r = await lookupIn(root, rel);
  if (r.kind === 'blocked') throw new LayerError(`${what}: "${rel}" passes through ${describe(r.stat)} ("${r.at}")`);
  return r.kind === 'found' ? r : undefined;
}

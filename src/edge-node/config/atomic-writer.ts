/**
 * The kubelet's AtomicWriter for configMap and secret volumes: the files live in a timestamped
 * directory `..<time>_<n>`, a symlink `..data` points at it, and each top-level name the user sees is
 * a symlink `name -> ..data/name`. An update writes a new timestamped directory, points a new symlink
 * at it and renames it over `..data` (one atomic step: a reader sees the old set or the new one, never
 * a mix), then adds or removes the top-level links and deletes the old directory. A process that
 * watches `..data` (or re-opens its file) sees the change; one that holds a file open keeps the old one.
 */
import { chmod, lstat, mkdir, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** One file of a projection: a relative path (validated by the API: no `..`, not absolute), its bytes and mode. */
export interface ProjectedFile {
  path: string;
  data: Uint8Array;
  mode: number;
}

const DATA = '..data';
let counter = 0;

/**
 * Replaces the projection in `dir` (created when missing) by `files`, atomically for readers.
 * `beforeSwap` runs on the new timestamped directory once its files are written and before readers
 * can see it (fsGroup ownership: a reader never meets a file not yet given to its group).
 */
export async function writeProjection(
  dir: string,
  files: readonly ProjectedFile[],
  beforeSwap?: (next: string) => Promise<void>,
): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const stamp = `..${new Date().toISOString().replace(/[-:.]/g, '_')}_${process.pid}_${counter++}`;
  const next = path.join(dir, stamp);
  await mkdir(next, { mode: 0o755 });
  for (const f of files) {
    const target = path.join(next, f.path);
    // The API refuses `..` and absolute paths; checked again because the path becomes a file name.
    if (!target.startsWith(next + path.sep)) throw new Error(`projected path "${f.path}" leaves its volume`);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
    await writeFile(target, f.data, { mode: f.mode });
    await chmod(target, f.mode); // the umask narrows writeFile's mode
  }
  await chmod(next, 0o755);
  await beforeSwap?.(next);
  const tmpLink = path.join(dir, `..data_tmp_${process.pid}_${counter++}`);
  await symlink(stamp, tmpLink);
  await rename(tmpLink, path.join(dir, DATA));
  const wanted = new Set(files.map((f) => f.path.split('/')[0]!));
  for (const name of wanted) {
    const link = path.join(dir, name);
    const st = await lstat(link).catch(() => undefined);
    if (st?.isSymbolicLink()) continue;
    if (st) await rm(link, { recursive: true, force: true });
    await symlink(path.join(DATA, name), link);
  }
  for (const name of await readdir(dir)) {
    if (name.startsWith('..')) {
      // The previous directory, and any a crash left half-written.
      if (name !== DATA && name !== stamp) await rm(path.join(dir, name), { recursive: true, force: true });
      continue;
    }
    if (!wanted.has(name)) await rm(path.join(dir, name), { recursive: true, force: true });
  }
}

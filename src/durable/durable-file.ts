/**
 * Writes that survive a power cut, not only a crash: the data is flushed (fsync) before the rename that
 * publishes it, and the directory holding the new name is flushed after, so after a power loss a reader
 * finds either the old content or the new one, never a torn or empty file.
 *
 * Why not write-file-atomic: it covers whole-buffer writes only and does not flush the parent
 * directory; here streamed files (blobs, layers) and whole directories (snapshots, transpiled modules)
 * are published by rename too, and all of them need the same discipline.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeFileSync, lstatSync } from 'node:fs';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Flushes a directory's entries (new names, renames, removals) to disk. */
export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flushes one file's data to disk. */
export function fsyncFileSync(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flushes every file and directory under `root` (and `root` itself), before it is published by rename. */
export function fsyncTreeSync(root: string): void {
  const st = lstatSync(root);
  if (st.isDirectory()) {
    for (const name of readdirSync(root)) fsyncTreeSync(join(root, name));
    fsyncDirSync(root);
  } else if (st.isFile()) {
    fsyncFileSync(root);
  }
  // Symlinks, devices and fifos carry no data of their own; their directory entry is flushed with it.
}

function tempName(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Writes `data` to `path` so that a power cut leaves the old or the new content (sync form). */
export function writeFileDurableSync(path: string, data: string | Uint8Array, opts: { mode?: number } = {}): void {
  const tmp = tempName(path);
  try {
    const fd = openSync(tmp, 'w', opts.mode ?? 0o600);
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDirSync(dirname(path));
}

/** Writes `data` to `path` so that a power cut leaves the old or the new content. */
export async function writeFileDurable(
  path: string,
  data: string | Uint8Array,
  opts: { mode?: number } = {},
): Promise<void> {
  const tmp = tempName(path);
  try {
    const fh = await open(tmp, 'w', opts.mode ?? 0o600);
    try {
      await writeFile(fh, data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dirname(path));
}

/** Flushes a directory's entries to disk. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Publishes a fully written temporary file or directory at `finalPath`: flushes its content (the
 * whole tree for a directory), renames it, flushes the parent directory. With `contentFlushed`, the
 * caller has flushed the content already (one `syncfs` for a large tree instead of an fsync per file on
 * the event loop) and only the rename and the parent's flush remain.
 */
export async function publishDurable(
  tmpPath: string,
  finalPath: string,
  opts: { contentFlushed?: boolean } = {},
): Promise<void> {
  if (!opts.contentFlushed) fsyncTreeSync(tmpPath);
  await rename(tmpPath, finalPath);
  await fsyncDir(dirname(finalPath));
}

/**
 * Applies one layer (an uncompressed tar stream) into its own snapshot directory, in the form
 * overlayfs stacks: files, directories, symlinks and hard links with their owners, modes
 * (setuid/setgid/sticky kept: the mounts are `nosuid`, see overlay.ts) and times; an OCI whiteout
 * (`.wh.<name>`) becomes an overlay whiteout when `<name>` exists beneath; an opaque directory
 * (`.wh..wh..opq`) becomes a whiteout for every name beneath it that the layer does not recreate.
 *
 * Nothing in a layer can read, write or link outside its directory: every path is resolved inside
 * the root component by component (root-path.ts), never through a symlink; files are created with
 * O_EXCL|O_NOFOLLOW; a hard link's target must be a file of this layer or of a lower one, reached
 * without passing a symlink. Device nodes and fifos are not created (as rootless runtimes do): a
 * container gets its /dev from the runtime. An entry count cap bounds the work of one layer.
 */
import { constants, type Stats } from 'node:fs';
import {
  chmod,
  chown,
  copyFile,
  lchown,
  link,
  lutimes,
  mkdir,
  open,
  readdir,
  rm,
  symlink,
  utimes,
  type FileHandle,
} from 'node:fs/promises';
import { posix } from 'node:path';
import { readTar, type TarEntry, type TarSink } from './tar-reader.js';
import { LayerError, cleanPath, ensureDirIn, hostPath, lookupStrict, lstatOrUndefined } from './root-path.js';
import { findBeneath, makeWhiteout, namesBeneath, visibleBeneath } from './whiteouts.js';

export { LayerError, cleanPath } from './root-path.js';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE = '.wh..wh..opq';
const isRoot = process.getuid?.() === 0;

/** Default cap on the entries of one layer (the largest real images have a few hundred thousand files). */
export const DEFAULT_MAX_ENTRIES = 500_000;

/** Where to apply and what lies beneath (snapshot directories, top-most first). */
export interface ApplyTarget {
  root: string;
  lowers: readonly string[];
  /** Most entries accepted (default {@link DEFAULT_MAX_ENTRIES}). */
  maxEntries?: number;
}

/** Counts of what was applied (for logs and tests). */
export interface ApplyStats {
  entries: number;
  whiteouts: number;
  /** Device nodes, fifos and unknown entry types left out. */
  skipped: number;
  /** The first few of them (`path (type)`), for the log. */
  skippedExamples: string[];
}

/** Applies the tar stream `source` into `target.root` (which must exist and be empty). */
export async function applyLayer(source: AsyncIterable<Uint8Array>, target: ApplyTarget): Promise<ApplyStats> {
  const { root, lowers } = target;
  const maxEntries = target.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const whiteouts: string[] = [];
  const opaque: string[] = [];
  const stats: ApplyStats = { entries: 0, whiteouts: 0, skipped: 0, skippedExamples: [] };
  let seen = 0;
  // Handles of files being written: closed here when the archive fails half-way through one.
  const openFiles = new Set<FileHandle>();
  try {
    await readTar(source, async (entry): Promise<TarSink | undefined> => {
      if (++seen > maxEntries) throw new LayerError(`the layer has more than ${maxEntries} entries`);
      return named(entry.path, async () => {
        const rel = cleanPath(entry.path);
        if (rel === '') return undefined; // the layer's root directory itself
        const base = posix.basename(rel);
        const dir = parentOf(rel);
        if (base === OPAQUE) {
          opaque.push(dir);
          return undefined;
        }
        if (base.startsWith(WHITEOUT_PREFIX)) {
          const name = base.slice(WHITEOUT_PREFIX.length);
          if (name === '' || name === '.' || name === '..')
            throw new LayerError(`"${base}" is not a whiteout of a name`);
          whiteouts.push(posix.join(dir, name));
          return undefined;
        }
        if (entry.type === 'char' || entry.type === 'block' || entry.type === 'fifo' || entry.type === 'other') {
          stats.skipped += 1;
          if (stats.skippedExamples.length < 5) stats.skippedExamples.push(`${rel} (${entry.type})`);
          return undefined;
        }
        stats.entries += 1;
        await ensureDirIn(root, dir, `entry "${rel}"`);
        const sink = await createEntry(root, rel, entry, lowers, openFiles);
        return (
          sink && {
            write: (c) => named(entry.path, () => sink.write(c)),
            end: () => named(entry.path, () => sink.end()),
          }
        );
      });
    });
  } finally {
    for (const fh of openFiles) await fh.close().catch(() => undefined);
  }
  for (const dir of opaque) {
    await named(`${dir}/${OPAQUE}`, async () => {
      const at = await ensureDirIn(root, dir, `opaque directory "${dir}"`);
      const mine = new Set(await readdir(at));
      for (const name of await namesBeneath(lowers, dir)) {
        if (mine.has(name)) continue;
        await makeWhiteout(`${at}/${name}`);
        stats.whiteouts += 1;
      }
    });
  }
  for (const rel of whiteouts) {
    await named(`whiteout of ${rel}`, async () => {
      if (await lookupStrict(root, rel, `whiteout of "${rel}"`)) return; // recreated by this layer
      if (!(await visibleBeneath(lowers, rel))) return;
      const parent = await ensureDirIn(root, parentOf(rel), `whiteout of "${rel}"`);
      await makeWhiteout(`${parent}/${posix.basename(rel)}`);
      stats.whiteouts += 1;
    });
  }
  return stats;
}

const parentOf = (rel: string): string => (posix.dirname(rel) === '.' ? '' : posix.dirname(rel));

/** Runs `fn`; an error that is not a LayerError becomes one naming the entry. */
async function named<T>(path: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof LayerError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new LayerError(`entry ${JSON.stringify(path.slice(0, 300))}: ${msg}`);
  }
}

async function setOwnerModeTime(p: string, e: TarEntry): Promise<void> {
  if (isRoot) await chown(p, e.uid, e.gid);
  // After chown: changing the owner clears setuid/setgid bits.
  await chmod(p, e.mode & 0o7777);
  await utimes(p, e.mtime, e.mtime);
}

/** A sink writing a file through its own handle (never re-resolving its path). */
function fileSink(fh: FileHandle, e: TarEntry, openFiles: Set<FileHandle>): TarSink {
  openFiles.add(fh);
  return {
    write: async (chunk) => {
      for (let off = 0; off < chunk.byteLength;)
        off += (await fh.write(chunk, off, chunk.byteLength - off)).bytesWritten;
    },
    end: async () => {
      try {
        if (isRoot) await fh.chown(e.uid, e.gid);
        await fh.chmod(e.mode & 0o7777);
        await fh.utimes(e.mtime, e.mtime);
      } finally {
        openFiles.delete(fh);
        await fh.close();
      }
    },
  };
}

async function createEntry(
  root: string,
  rel: string,
  e: TarEntry,
  lowers: readonly string[],
  openFiles: Set<FileHandle>,
): Promise<TarSink | undefined> {
  const dest = hostPath(root, rel);
  // Parents are real directories (ensureDirIn); `dest` itself is never followed: removed unless it
  // is a directory that a directory entry keeps.
  const existing: Stats | undefined = await lstatOrUndefined(dest);
  if (existing && !(existing.isDirectory() && e.type === 'dir')) await rm(dest, { recursive: true, force: true });
  switch (e.type) {
    case 'dir':
      if (!existing?.isDirectory()) await mkdir(dest, { mode: 0o755 });
      await setOwnerModeTime(dest, e);
      return undefined;
    case 'file': {
      // O_EXCL|O_NOFOLLOW: never write through a link planted under the same name.
      const fh = await open(
        dest,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        0o600,
      );
      const sink = fileSink(fh, e, openFiles);
      if (e.size > 0) return sink;
      await sink.end();
      return undefined;
    }
    case 'symlink':
      // Created, never followed: its target means something only inside the container.
      await symlink(e.linkname, dest);
      if (isRoot) await lchown(dest, e.uid, e.gid);
      await lutimes(dest, e.mtime, e.mtime);
      return undefined;
    case 'hardlink':
      await hardLink(root, rel, dest, e.linkname, lowers);
      return undefined;
    default:
      return undefined;
  }
}

/**
 * A hard link to a file of this layer (linked), or of a layer beneath (copied: snapshots never share
 * inodes across layers). The target is looked up inside the root without following any symlink, so a
 * symlink created earlier in the same layer cannot carry the link to one of the node's files.
 */
async function hardLink(
  root: string,
  rel: string,
  dest: string,
  linkname: string,
  lowers: readonly string[],
): Promise<void> {
  const what = `hard link "${rel}" to "${linkname.slice(0, 300)}"`;
  const targetRel = cleanPath(linkname);
  if (targetRel === '') throw new LayerError(`${what}: the target is the root directory`);
  const mine = await lookupStrict(root, targetRel, what);
  if (mine) {
    // link(2) does not follow a symlink named as the target: the new name is the symlink itself.
    if (!mine.stat.isFile() && !mine.stat.isSymbolicLink()) throw new LayerError(`${what}: the target is not a file`);
    await link(mine.path, dest);
    return;
  }
  const below = await findBeneath(lowers, targetRel);
  if (!below?.stat.isFile()) throw new LayerError(`${what}: the target is not a file of this image`);
  await copyFile(below.path, dest, constants.COPYFILE_EXCL);
  if (isRoot) await chown(dest, below.stat.uid, below.stat.gid);
  await chmod(dest, below.stat.mode & 0o7777);
}

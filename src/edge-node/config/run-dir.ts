/**
 * The node's run dir: where memory-backed volumes live (configMap and secret projections, emptyDirs
 * with `medium: Memory`). It must be a tmpfs (or ramfs), so secret values never reach the node's disk,
 * and outside the data dir. The default, `/dev/shm/edgeplane-node-<hash of the data dir>`, is a tmpfs on
 * every Linux the agent targets and is writable by a non-root agent; one per data dir, so several
 * agents on one machine (tests) keep apart, and stable across restarts. `--run-dir` names another (a
 * tmpfs the operator mounted, e.g. under `/run`). A run dir that is not memory-backed is refused for
 * those volumes (the pods wait in `CreateContainerConfigError` saying so), never silently used.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, rmdir, statfs } from 'node:fs/promises';
import path from 'node:path';

const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;

/** The default run dir of the agent whose data dir is `dataDir`. */
export function defaultRunDir(dataDir: string): string {
  const id = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12);
  return path.join('/dev/shm', `edgeplane-node-${id}`);
}

/** Creates the run dir (0700: only the agent reads the projections; containers get bind mounts). */
export async function prepareRunDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/**
 * Removes the run dir when nothing is left in it (its `volumes` first, when empty): an agent that
 * stops leaves no empty directory behind in `/dev/shm`, one per data dir it ever had (tests make
 * thousands). Anything still in it stays: the volumes of pods that run on or come back at the next start.
 */
export async function releaseRunDir(dir: string): Promise<void> {
  await rmdir(path.join(dir, 'volumes')).catch(() => undefined);
  await rmdir(dir).catch(() => undefined);
}

/** Undefined when `dir` is memory-backed and outside `dataDir`; else what is wrong with it. */
export async function runDirProblem(dir: string, dataDir: string): Promise<string | undefined> {
  const rel = path.relative(path.resolve(dataDir), path.resolve(dir));
  if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel)))
    return `the run dir ${dir} is inside the data dir: secret and memory volumes need a tmpfs outside it (--run-dir)`;
  try {
    const st = await statfs(dir);
    if (st.type === TMPFS_MAGIC || st.type === RAMFS_MAGIC) return undefined;
  } catch (err) {
    return `the run dir ${dir} is not usable: ${(err as Error).message}`;
  }
  return `the run dir ${dir} is not on tmpfs: secret and memory volumes are kept off the node's disk (give a tmpfs with --run-dir)`;
}

/**
 * One process per data dir. The hub's SQLite file, its tokens and blobs, and an agent's local state
 * all assume a single writer; a second hub on the same dir once broke the first one's revision counter
 * (issue 21). Each program therefore takes an exclusive lock on its data dir at start and refuses to run
 * with "data dir /x in use by pid N" while another live process holds it.
 *
 * Node has no flock(2), so the lock is a file created atomically with link(2) (fails with EEXIST when
 * present; the content is written before the link, so a reader never sees a half-written lock). The file
 * records who holds it: pid, the process's start time from /proc/<pid>/stat, the kernel's boot id and the
 * data dir's device and inode. A lock whose holder is gone — no such pid, a pid reused by another process
 * (other start time), a previous boot — or that was copied with its data dir from elsewhere is stale and
 * taken over, so a SIGKILLed or power-cut hub never blocks its restart.
 * Taking over is itself guarded by a second link-created file, so two starters that both find the same
 * stale lock cannot both win. Why not proper-lockfile: it judges staleness by an mtime it must keep
 * refreshing (a timer in every process, and a crashed holder blocks a restart until the mtime ages), and
 * cannot tell a live holder from a dead one; the pid + start time check answers that directly.
 *
 * The lock is released on `release()` and, as a fallback, when the process exits (`process.exit`, the end
 * of the event loop, or an exit after SIGTERM/SIGINT handlers). A SIGKILL leaves a stale lock, which the
 * next start takes over.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** Name of the lock file inside a data dir. */
export const LOCK_FILE = '.edgeplane.lock';

/** Another live process holds the data dir. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
    readonly holder: string | undefined,
    host?: string,
  ) {
    super(
      `data dir ${dir} in use by pid ${pid}${holder ? ` (${holder})` : ''}${host ? ` on host ${host}` : ''}; stop that process first, or use another --data-dir`,
    );
    this.name = 'DataDirInUseError';
  }
}

/** What the lock file records of its holder. */
interface LockRecord {
  pid: number;
  /** Start time of the process (clock ticks since boot, /proc/<pid>/stat field 22); absent off Linux. */
  startTime?: string;
  /** /proc/sys/kernel/random/boot_id at acquisition; absent off Linux. */
  bootId?: string;
  /** `<dev>:<inode>` of the data dir: a lock file copied along with a data dir (`cp -a`) is not a lock on the copy. */
  dirId?: string;
  hostname: string;
  program?: string;
  /** Unique per acquisition, so a holder only ever removes its own lock. */
  nonce: string;
}

/** A held data-dir lock. */
export interface DataDirLock {
  readonly path: string;
  /** Removes the lock file if it is still this process's. Idempotent. */
  release(): void;
}

/** Start time of process `pid` (field 22 of /proc/<pid>/stat), or undefined when unknown. */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or ')': split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest[19];
}

function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function parseRecord(text: string | undefined): LockRecord | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as Partial<LockRecord>;
    if (
      typeof v.pid !== 'number' ||
      !Number.isInteger(v.pid) ||
      v.pid <= 0 ||
      typeof v.nonce !== 'string' ||
      typeof v.hostname !== 'string'
    )
      return undefined;
    return v as LockRecord;
  } catch {
    return undefined;
  }
}

/** A name from the lock file fit for a message (the file is data, not trusted text): else undefined. */
function printable(v: unknown): string | undefined {
  return typeof v === 'string' && /^[\w.:-]{1,253}$/.test(v) ? v : undefined;
}

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function dirIdOf(dir: string): string {
  const st = statSync(dir);
  return `${st.dev}:${st.ino}`;
}

/** True while the process that wrote `r` may still be running and holding data dir `dirId`. */
function holderAlive(r: LockRecord, dirId: string): boolean {
  if (r.dirId !== undefined && r.dirId !== dirId) return false;
  // Another host's process cannot be checked from here (a data dir on shared storage): assume it lives.
  if (r.hostname !== hostname()) return true;
  const boot = bootId();
  if (r.bootId !== undefined && boot !== undefined && r.bootId !== boot) return false;
  try {
    process.kill(r.pid, 0);
  } catch (err) {
    // EPERM: the pid exists but belongs to another user; it may still be the holder.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (r.startTime !== undefined) {
    const now = processStartTime(r.pid);
    // The pid was reused by a process started at another time: not our holder.
    if (now !== undefined && now !== r.startTime) return false;
  }
  return true;
}

/** Creates `path` holding `content`, atomically; false when it already exists. */
function createExclusive(path: string, content: string): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

function unlinkIfUnchanged(path: string, expected: string | undefined): void {
  if (expected === undefined) return;
  if (readIfPresent(path) !== expected) return;
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Takes the exclusive lock of data dir `dir` (which must exist), or throws DataDirInUseError naming the
 * live holder. A stale lock (holder gone) is taken over. `program` is recorded for the error message.
 */
export function acquireDataDirLock(dir: string, opts: { program?: string } = {}): DataDirLock {
  const path = join(dir, LOCK_FILE);
  const guard = `${path}.takeover`;
  const startTime = processStartTime(process.pid);
  const boot = bootId();
  const dirId = dirIdOf(dir);
  const mine: LockRecord = {
    pid: process.pid,
    ...(startTime !== undefined ? { startTime } : {}),
    ...(boot !== undefined ? { bootId: boot } : {}),
    dirId,
    hostname: hostname(),
    ...(opts.program !== undefined ? { program: opts.program } : {}),
    nonce: randomBytes(12).toString('hex'),
  };
  const content = `${JSON.stringify(mine)}\n`;
  for (let attempt = 0; attempt < 50; attempt++) {
    if (createExclusive(path, content)) return heldLock(path, content);
    const raw = readIfPresent(path);
    if (raw === undefined) continue; // released in between: try again
    const holder = parseRecord(raw);
    if (holder && holderAlive(holder, dirId))
      throw new DataDirInUseError(
        dir,
        holder.pid,
        printable(holder.program),
        holder.hostname !== hostname() ? (printable(holder.hostname) ?? '?') : undefined,
      );
    // Stale (or unreadable, e.g. emptied by a power cut). Only the holder of the guard may remove it,
    // and only if it is still the very lock judged stale.
    if (createExclusive(guard, content)) {
      try {
        unlinkIfUnchanged(path, raw);
      } finally {
        unlinkSync(guard);
      }
      continue;
    }
    const guardRaw = readIfPresent(guard);
    const guardHolder = parseRecord(guardRaw);
    if (guardHolder && holderAlive(guardHolder, dirId)) pause(20);
    else unlinkIfUnchanged(guard, guardRaw); // a starter died mid-takeover
  }
  throw new Error(`could not take the lock of data dir ${dir}: it changed hands too often`);
}

function heldLock(path: string, content: string): DataDirLock {
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.removeListener('exit', release);
    try {
      unlinkIfUnchanged(path, content);
    } catch {
      // The dir is gone or unreadable: nothing left to release.
    }
  };
  process.on('exit', release);
  return { path, release };
}

/**
 * Creates data dir `dir` (and missing parents) with mode 0700, since it holds secrets (tokens, keys,
 * Secret values). An existing dir open to group or others is tightened to 0700 when this user owns it
 * and it is not a shared sticky dir such as /tmp; otherwise `warn` is told.
 */
export function prepareDataDir(dir: string, warn: (message: string) => void = () => undefined): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if (!st.isDirectory()) throw new Error(`data dir ${dir} is not a directory`);
  const mode = st.mode & 0o7777;
  if ((mode & 0o077) === 0) return;
  const ownedByMe = process.getuid === undefined || st.uid === process.getuid();
  if (ownedByMe && (mode & 0o1000) === 0) {
    chmodSync(dir, 0o700);
    warn(`data dir ${dir} was open to other users (mode ${mode.toString(8).padStart(4, '0')}); tightened to 0700`);
  } else {
    warn(
      `data dir ${dir} is open to other users (mode ${mode.toString(8).padStart(4, '0')}) and holds secrets; chmod 700 it or choose another --data-dir`,
    );
  }
}

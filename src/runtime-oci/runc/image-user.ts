/**
 * The user a container runs as, from the image's `User` (`uid`, `uid:gid`, `name`, `name:group`):
 * names are looked up in the container's own `/etc/passwd` and `/etc/group`, as Docker does; a
 * numeric uid without a gid takes the passwd entry's group, else 0.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateContainerError, errorMessage } from '../../api/index.js';

/** Largest `/etc/passwd` or `/etc/group` read: real ones are a few KiB; an image's could be anything. */
export const MAX_ETC_FILE_BYTES = 1024 * 1024;

/**
 * Reads `/etc/<name>` of the rootfs, or '' when the image has none. The image decides what is there, so
 * nothing on the way is followed: `etc` is opened as a directory with O_NOFOLLOW, the file is opened
 * through that descriptor (`/proc/self/fd/<n>/<name>`, an `openat` that nothing can swap in between)
 * with O_NOFOLLOW and O_NONBLOCK (a FIFO must not hang the node), then checked on the open descriptor:
 * a regular file of at most {@link MAX_ETC_FILE_BYTES}. A symlink (which could name the node's own
 * `/etc/shadow`), a device, a FIFO or an oversized file is a clear error, never read.
 */
async function etcFile(rootfs: string, name: string, what: string): Promise<string> {
  const shown = `the image's /etc/${name}`;
  let dir: FileHandle;
  try {
    dir = await open(join(rootfs, 'etc'), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return '';
    if (code === 'ELOOP' || code === 'ENOTDIR')
      throw new CreateContainerError(
        `${what}: cannot read ${shown}: the image's /etc is not a directory (a symlink is not followed)`,
        err,
      );
    throw new CreateContainerError(`${what}: cannot read ${shown}: ${errorMessage(err)}`, err);
  }
  try {
    let file: FileHandle;
    try {
      file = await open(
        `/proc/self/fd/${dir.fd}/${name}`,
        constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY,
      );
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return '';
      if (code === 'ELOOP')
        throw new CreateContainerError(
          `${what}: ${shown} is a symlink; it is not followed (it could point at the node's own files)`,
          err,
        );
      throw new CreateContainerError(`${what}: cannot read ${shown}: ${errorMessage(err)}`, err);
    }
    try {
      const st = await file.stat();
      if (!st.isFile()) throw new CreateContainerError(`${what}: ${shown} is not a regular file`);
      if (st.size > MAX_ETC_FILE_BYTES)
        throw new CreateContainerError(
          `${what}: ${shown} is ${st.size} bytes, more than the ${MAX_ETC_FILE_BYTES} read`,
        );
      // Read at most one byte past the size seen: a file that grows after the stat is refused too.
      const buf = Buffer.alloc(st.size + 1);
      let got = 0;
      for (;;) {
        const { bytesRead } = await file.read(buf, got, buf.length - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
        if (got > st.size) throw new CreateContainerError(`${what}: ${shown} grew while it was read`);
      }
      return buf.subarray(0, got).toString('utf8');
    } finally {
      await file.close();
    }
  } finally {
    await dir.close();
  }
}

function rows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

/** Resolves `user` (empty = root) against the rootfs at `rootfs`. */
export async function resolveUser(
  rootfs: string,
  user: string | undefined,
  what: string,
): Promise<{ uid: number; gid: number }> {
  if (!user) return { uid: 0, gid: 0 };
  const [u = '', g] = user.split(':', 2);
  const numeric = (s: string): number | undefined => (/^[0-9]+$/.test(s) ? Number(s) : undefined);
  let uid = numeric(u);
  let gid = g !== undefined ? numeric(g) : undefined;
  const passwd =
    uid === undefined || (gid === undefined && g === undefined) ? rows(await etcFile(rootfs, 'passwd', what)) : [];
  if (uid === undefined) {
    const row = passwd.find((r) => r[0] === u);
    if (!row) throw new CreateContainerError(`${what}: user "${u}" not found in the image's /etc/passwd`);
    uid = Number(row[2]);
    if (g === undefined) gid = Number(row[3]);
  } else if (g === undefined) {
    const row = passwd.find((r) => Number(r[2]) === uid);
    gid = row ? Number(row[3]) : 0;
  }
  if (gid === undefined && g !== undefined) {
    const row = rows(await etcFile(rootfs, 'group', what)).find((r) => r[0] === g);
    if (!row) throw new CreateContainerError(`${what}: group "${g}" not found in the image's /etc/group`);
    gid = Number(row[2]);
  }
  if (!Number.isInteger(uid) || !Number.isInteger(gid))
    throw new CreateContainerError(`${what}: cannot resolve user "${user}"`);
  return { uid, gid: gid ?? 0 };
}

/**
 * The user a container runs as, from the image's `User` (`uid`, `uid:gid`, `name`, `name:group`):
 * names are looked up in the container's own `/etc/passwd` and `/etc/group`, as Docker does; a
 * numeric uid without a gid takes the passwd entry's group, else 0.
 */
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateContainerError } from '../../api/index.js';

/** Reads `/etc/<name>` of the rootfs; a symlink on the way (which could point at the node's) reads as empty. */
async function etcFile(rootfs: string, name: string): Promise<string> {
  const p = join(rootfs, 'etc', name);
  try {
    if (!(await lstat(join(rootfs, 'etc'))).isDirectory() || !(await lstat(p)).isFile()) return '';
    return await readFile(p, 'utf8');
  } catch {
    return '';
  }
}

function rows(text: string): string[][] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
}

/** Resolves `user` (empty = root) against the rootfs at `rootfs`. */
export async function resolveUser(rootfs: string, user: string | undefined, what: string): Promise<{ uid: number; gid: number }> {
  if (!user) return { uid: 0, gid: 0 };
  const [u = '', g] = user.split(':', 2);
  const numeric = (s: string): number | undefined => (/^[0-9]+$/.test(s) ? Number(s) : undefined);
  let uid = numeric(u);
  let gid = g !== undefined ? numeric(g) : undefined;
  const passwd = uid === undefined || (gid === undefined && g === undefined) ? rows(await etcFile(rootfs, 'passwd')) : [];
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
    const row = rows(await etcFile(rootfs, 'group')).find((r) => r[0] === g);
    if (!row) throw new CreateContainerError(`${what}: group "${g}" not found in the image's /etc/group`);
    gid = Number(row[2]);
  }
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new CreateContainerError(`${what}: cannot resolve user "${user}"`);
  return { uid, gid: gid ?? 0 };
}

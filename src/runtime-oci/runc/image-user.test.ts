/**
 * The image's user resolved from its own /etc/passwd and /etc/group — and a hostile image that makes
 * them symlinks to the node's files, a FIFO, an oversized file, or /etc itself a symlink out of the
 * rootfs: each a clear CreateContainerError, nothing outside the rootfs read.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CreateContainerError } from '../../api/index.js';
import { MAX_ETC_FILE_BYTES, resolveUser } from './image-user.js';

const base = mkdtempSync(join(tmpdir(), 'image-user-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Outside every rootfs: what a hostile image would like the node to read (the node's /etc/shadow). */
const secretDir = join(base, 'host-etc');
mkdirSync(secretDir);
writeFileSync(join(secretDir, 'passwd'), 'app:x:4242:4343::/:/bin/sh\n');
writeFileSync(join(secretDir, 'group'), 'staff:x:4444:\n');

let n = 0;
/** A fresh rootfs; `etc` files given as text, or built by `make(etcDir)`. */
function rootfs(files: Record<string, string> = {}, make?: (etc: string, root: string) => void): string {
  const root = join(base, `rootfs-${n++}`);
  mkdirSync(join(root, 'etc'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, 'etc', name), text);
  make?.(join(root, 'etc'), root);
  return root;
}

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CreateContainerError);
  return (err as Error).message;
}

describe('resolveUser', () => {
  it('resolves names and numbers as Docker does', async () => {
    const root = rootfs({
      passwd: '# comment\nroot:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n',
      group: 'root:x:0:\nstaff:x:50:\n',
    });
    expect(await resolveUser(root, undefined, 'c')).toEqual({ uid: 0, gid: 0 });
    expect(await resolveUser(root, 'app', 'c')).toEqual({ uid: 1000, gid: 1001 });
    expect(await resolveUser(root, 'app:staff', 'c')).toEqual({ uid: 1000, gid: 50 });
    expect(await resolveUser(root, '1000', 'c')).toEqual({ uid: 1000, gid: 1001 });
    expect(await resolveUser(root, '7', 'c')).toEqual({ uid: 7, gid: 0 });
    expect(await resolveUser(root, '7:8', 'c')).toEqual({ uid: 7, gid: 8 });
    expect(await refusal(resolveUser(root, 'nobody', 'c'))).toMatch(
      /user "nobody" not found in the image's \/etc\/passwd/,
    );
  });

  it('an image without /etc/passwd resolves numbers only', async () => {
    const root = rootfs();
    expect(await resolveUser(root, '12', 'c')).toEqual({ uid: 12, gid: 0 });
    expect(await refusal(resolveUser(root, 'app', 'c'))).toMatch(/user "app" not found/);
  });

  it('never follows /etc/passwd or /etc/group out of the rootfs', async () => {
    const abs = rootfs({}, (etc) => symlinkSync(join(secretDir, 'passwd'), join(etc, 'passwd')));
    expect(await refusal(resolveUser(abs, 'app', 'c'))).toMatch(
      /c: the image's \/etc\/passwd is a symlink; it is not followed/,
    );
    // A numeric user without a group reads passwd too: the same refusal, not the node's gid.
    expect(await refusal(resolveUser(abs, '4242', 'c'))).toMatch(/is a symlink/);
    const rel = rootfs({ passwd: 'root:x:0:0::/:/bin/sh\n' }, (etc) =>
      symlinkSync('../../host-etc/group', join(etc, 'group')),
    );
    expect(await refusal(resolveUser(rel, 'root:staff', 'c'))).toMatch(/the image's \/etc\/group is a symlink/);
    const etcLink = rootfs({}, (_etc, root) => {
      rmSync(join(root, 'etc'), { recursive: true });
      symlinkSync(secretDir, join(root, 'etc'));
    });
    expect(await refusal(resolveUser(etcLink, 'app', 'c'))).toMatch(
      /the image's \/etc is not a directory \(a symlink is not followed\)/,
    );
  });

  it('refuses an oversized file, a FIFO and a directory without reading them', async () => {
    const big = rootfs({}, (etc) => {
      writeFileSync(join(etc, 'passwd'), '');
      truncateSync(join(etc, 'passwd'), MAX_ETC_FILE_BYTES + 1);
    });
    expect(await refusal(resolveUser(big, 'app', 'c'))).toMatch(
      /\/etc\/passwd is 1048577 bytes, more than the 1048576 read/,
    );
    // A FIFO would block a plain read forever: it is opened non-blocking and refused.
    const fifo = rootfs({}, (etc) => execFileSync('mkfifo', [join(etc, 'passwd')]));
    expect(await refusal(resolveUser(fifo, 'app', 'c'))).toMatch(/\/etc\/passwd is not a regular file/);
    const dir = rootfs({ passwd: 'app:x:1:2::/:/bin/sh\n' }, (etc) => mkdirSync(join(etc, 'group')));
    expect(await refusal(resolveUser(dir, 'app:staff', 'c'))).toMatch(/\/etc\/group is not a regular file/);
  });
});

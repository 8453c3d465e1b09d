/**
 * The runtime's data directories (blobs, snapshots, image metadata) are 0700: a snapshot keeps its
 * files' setuid bits and owners, and no local user of the host may reach them.
 */
import { chmod, mkdir } from 'node:fs/promises';

/** Makes `dir` (and its parents) and sets it to 0700, whatever mode it had. */
export async function privateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/**
 * A container's root filesystem: an overlay mount of the image's snapshots (read-only, shared by
 * every container of the image) under a writable directory of the container's own. `mount(8)` runs
 * with the snapshot directory as its working directory and the layers named relative to it: the
 * kernel caps mount options at one page, and short names fit many more layers.
 *
 * The mount is `nosuid,nodev`: a snapshot keeps its files' setuid bits and owners (as the image has
 * them), so neither a setuid binary nor a device file in an image can be used by a local user of the
 * host through the mounted rootfs (runc's bind of the rootfs keeps these flags, so inside the
 * container setuid does not raise privileges either — as with `allowPrivilegeEscalation: false`).
 */
import { readFile } from 'node:fs/promises';
import { runCommand } from '../command.js';

/** Where and what to mount. */
export interface OverlaySpec {
  /** Directory holding the snapshots. */
  snapshotsDir: string;
  /** Snapshot names, top-most layer first. */
  lowers: readonly string[];
  upper: string;
  work: string;
  target: string;
}

/** Mounts the overlay; throws CommandError with mount's message on failure. */
export async function mountOverlay(s: OverlaySpec): Promise<void> {
  // Snapshot names are chain-ID hex digits; anything else could add a layer or an option.
  const bad = s.lowers.find((l) => !/^[0-9a-f]{64}$/.test(l));
  if (bad !== undefined) throw new Error(`snapshot name ${JSON.stringify(bad.slice(0, 100))} is not 64 hex digits`);
  if (/[:,\\]/.test(s.upper + s.work))
    throw new Error('overlay upper and work directories may not contain ":", "," or "\\"');
  const options = `nosuid,nodev,lowerdir=${s.lowers.join(':')},upperdir=${s.upper},workdir=${s.work}`;
  await runCommand('mount', ['-t', 'overlay', 'overlay', '-o', options, s.target], { cwd: s.snapshotsDir });
}

/** Mount points at or under `prefix`, from this process's mount table. */
export async function mountsUnder(prefix: string): Promise<string[]> {
  const table = await readFile('/proc/self/mountinfo', 'utf8');
  const out: string[] = [];
  for (const line of table.split('\n')) {
    // Field 5 is the mount point, with spaces and the like octal-escaped.
    const point = line.split(' ')[4]?.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (point !== undefined && (point === prefix || point.startsWith(`${prefix}/`))) out.push(point);
  }
  return out;
}

/** Unmounts `target` and anything mounted under it (deepest first); lazily when busy. */
export async function unmountAll(target: string): Promise<void> {
  const points = (await mountsUnder(target)).sort((a, b) => b.length - a.length);
  for (const p of points) {
    const r = await runCommand('umount', [p], { allowFailure: true });
    if (r.code !== 0) await runCommand('umount', ['-l', p], { allowFailure: true });
  }
}

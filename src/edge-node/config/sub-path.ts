/**
 * `volumeMounts[].subPath`: the part of a volume a mount shows. The resolved path must stay inside the
 * volume (a symlink in a writable emptyDir could otherwise point anywhere on the node: the kubelet's
 * subPath escape). A subPath of a configMap/secret projection is copied out once, so it neither
 * updates (as in Kubernetes) nor breaks when the projection's directory is swapped.
 */
import { cp, mkdir, realpath, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * The host path of `subPath` inside `volumeDir`. With `copyTo`, the target is copied there (once per
 * call, replacing an older copy) and the copy's path returned. A missing subPath is created as a
 * directory (as the kubelet does) unless it is to be copied, which is an error.
 */
export async function resolveSubPath(volumeDir: string, subPath: string, copyTo?: string): Promise<string> {
  const root = await realpath(volumeDir);
  const wanted = path.join(root, subPath);
  if (!wanted.startsWith(root + path.sep)) throw new Error(`subPath "${subPath}" leaves its volume`);
  const exists = await stat(wanted).catch(() => undefined);
  if (!exists) {
    if (copyTo !== undefined) throw new Error(`subPath "${subPath}" does not exist in the volume`);
    await mkdir(wanted, { recursive: true, mode: 0o777 });
  }
  const real = await realpath(wanted);
  if (real !== root && !real.startsWith(root + path.sep)) throw new Error(`subPath "${subPath}" leaves its volume`);
  if (copyTo === undefined) return real;
  await rm(copyTo, { recursive: true, force: true });
  await mkdir(copyTo, { recursive: true, mode: 0o755 });
  const target = path.join(copyTo, path.basename(subPath));
  await cp(real, target, { recursive: true, dereference: true });
  return target;
}

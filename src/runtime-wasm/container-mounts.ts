/**
 * A container's volume mounts as its instances are granted them (main thread): each mount the agent
 * prepared (`ContainerConfig.mounts`) is checked and becomes a {@link MountGrant} — its real node
 * directory, where the guest sees it, read-only or not, and for a size-limited writable mount the
 * shared counter of bytes under it.
 *
 * The counter is one per node directory, shared by every container (and every executor thread) that
 * mounts it, so two containers of a pod sharing an emptyDir share its limit. It starts from a
 * measurement of the directory (an emptyDir survives container restarts) and is forgotten when the
 * last container using it is removed.
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { CreateContainerError, errorMessage } from '../api/index.js';
import type { VolumeMountConfig } from '../api/index.js';
import type { MountGrant } from './host/fs-paths.js';

/** Entries measured at most when a size-limited mount is first used. */
const MAX_MEASURED_ENTRIES = 200_000;

async function measure(dir: string): Promise<number> {
  const top = await stat(dir).catch(() => undefined);
  if (top?.isFile()) return top.size; // a single-file mount counts that file
  let total = 0;
  let seen = 0;
  const pending = [dir];
  while (pending.length > 0) {
    const d = pending.pop()!;
    for (const name of await readdir(d).catch(() => [] as string[])) {
      if (++seen > MAX_MEASURED_ENTRIES) return total;
      const st = await lstat(`${d}/${name}`).catch(() => undefined);
      if (st?.isDirectory()) pending.push(`${d}/${name}`);
      else if (st?.isFile()) total += st.size;
    }
  }
  return total;
}

/** The shared byte counters of size-limited mounts, by real node directory. */
export class MountUsage {
  readonly #counters = new Map<string, { usage: BigInt64Array; refs: number }>();

  /** The counter of `dir` (created and measured on first use); pair with {@link release}. */
  async acquire(dir: string): Promise<BigInt64Array> {
    const known = this.#counters.get(dir);
    if (known) {
      known.refs++;
      return known.usage;
    }
    const used = await measure(dir);
    const again = this.#counters.get(dir); // another container got there while we measured
    if (again) {
      again.refs++;
      return again.usage;
    }
    const usage = new BigInt64Array(new SharedArrayBuffer(8));
    usage[0] = BigInt(used);
    this.#counters.set(dir, { usage, refs: 1 });
    return usage;
  }

  release(dir: string): void {
    const c = this.#counters.get(dir);
    if (c && --c.refs <= 0) this.#counters.delete(dir);
  }
}

/**
 * Checks a container's mounts and makes their grants; throws CreateContainerError naming the volume
 * that cannot be mounted. Release the counters with {@link releaseMounts} when the container goes.
 *
 * A mount that shows a single file (a `subPath` naming a file) cannot be a WASI preopen, which is a
 * directory: the files mounted into one guest directory become one virtual directory there, holding
 * them and nothing else (`MountGrant.files`). That directory may not also be another volume's mount
 * path (the guest would see two preopens at one path).
 */
export async function prepareMounts(
  mounts: readonly VolumeMountConfig[] | undefined,
  usage: MountUsage,
): Promise<MountGrant[]> {
  const grants: MountGrant[] = [];
  const taken: MountGrant[] = []; // every grant holding a counter, files included
  const virtual = new Map<string, MountGrant>();
  const seen = new Set<string>();
  try {
    for (const m of mounts ?? []) {
      const fail = (why: string): never => {
        throw new CreateContainerError(`volume ${m.volume} cannot be mounted at ${m.containerPath}: ${why}`);
      };
      if (!m.containerPath.startsWith('/')) fail('the mount path must be absolute');
      const containerPath = posix.normalize(m.containerPath).replace(/(.)\/$/, '$1');
      if (seen.has(containerPath)) fail('another volume is mounted there');
      seen.add(containerPath);
      let hostPath: string;
      let isFile: boolean;
      try {
        hostPath = await realpath(m.hostPath);
        const st = await stat(hostPath);
        if (!st.isDirectory() && !st.isFile()) fail('it is neither a directory nor a regular file');
        isFile = st.isFile();
      } catch (err) {
        if (err instanceof CreateContainerError) throw err;
        return fail(`its directory on the node is not usable: ${errorMessage(err)}`);
      }
      if (isFile && containerPath === '/') fail('a file cannot be mounted at /');
      const limited = !m.readOnly && m.sizeLimitBytes !== undefined;
      const grant: MountGrant = {
        volume: m.volume,
        hostPath,
        containerPath,
        readOnly: m.readOnly,
        ...(limited ? { sizeLimitBytes: m.sizeLimitBytes, usage: await usage.acquire(hostPath) } : {}),
      };
      if (grant.usage) taken.push(grant);
      if (!isFile) {
        grants.push(grant);
        continue;
      }
      const dir = posix.dirname(containerPath);
      const known = virtual.get(dir);
      if (known) known.files!.push(grant);
      else {
        // The directory's own stat shows the file's node directory; nothing else of it is reachable.
        const holder: MountGrant = {
          volume: m.volume,
          hostPath: posix.dirname(hostPath),
          containerPath: dir,
          readOnly: true,
          files: [grant],
        };
        virtual.set(dir, holder);
        grants.push(holder);
      }
    }
    for (const [dir, holder] of virtual) {
      if (seen.has(dir))
        throw new CreateContainerError(
          `volume ${holder.files![0]!.volume} cannot be mounted at ${holder.files![0]!.containerPath}: ` +
            `a Wasm guest sees a file mount through a directory of its own at ${dir}, where another volume is mounted`,
        );
    }
  } catch (err) {
    releaseMounts(taken, usage);
    throw err;
  }
  return grants;
}

/** Gives back the counters {@link prepareMounts} took (those of a virtual directory's files too). */
export function releaseMounts(grants: readonly MountGrant[], usage: MountUsage): void {
  for (const g of grants) {
    if (g.usage) usage.release(g.hostPath);
    if (g.files) releaseMounts(g.files, usage);
  }
}

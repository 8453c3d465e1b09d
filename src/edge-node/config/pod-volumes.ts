/**
 * The volume materialiser: a pod's volumes made real on the node before its containers are created,
 * and kept current while it runs. configMap and secret volumes are projected (`atomic-writer.ts`) into
 * the node's memory-backed run dir — never the data dir, so no value reaches the node's disk — and
 * re-projected when their object changes; `emptyDir` is a directory under the data dir, or under the
 * run dir with `medium: Memory` (a tmpfs of its own, sized by `sizeLimit`, where the agent may mount
 * one: `memory-mount.ts`); `hostPath` is checked (or created) as its `type` says. The pod's `fsGroup`
 * owns its configMap, secret and emptyDir volumes (`volume-ownership.ts`). Everything of a pod goes
 * when the pod does.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { memoryBytes } from '../../api/index.js';
import type { ConfigObject, Container, Pod, Volume, VolumeMountConfig } from '../../api/index.js';
import { writeProjection, type ProjectedFile } from './atomic-writer.js';
import type { ConfigKind, ConfigLookup } from './config-store.js';
import { mountSizedTmpfs, unmountUnder } from './memory-mount.js';
import { resolveSubPath } from './sub-path.js';
import { directoryBytes } from './usage.js';
import { setVolumeOwnership, type Ownership } from './volume-ownership.js';

/** Dependencies of the materialiser. */
export interface PodVolumesDeps {
  /** Disk-backed emptyDirs: `<data-dir>/volumes`. */
  diskDir: string;
  /** Memory-backed volumes (configMap, secret, emptyDir Memory): `<run-dir>/volumes`, on tmpfs. */
  memoryDir: string;
  /** Undefined when `memoryDir` is on tmpfs; else why memory-backed volumes are refused. */
  memoryProblem(): Promise<string | undefined>;
  lookup: ConfigLookup;
  /** Mounts a tmpfs of `bytes` on `dir`; undefined when done, else why not (default: `mount -t tmpfs`). */
  mountTmpfs?(dir: string, bytes: number): Promise<string | undefined>;
  /** Unmounts what is mounted under `dir` (default: `umount`, deepest first). */
  unmountUnder?(dir: string): Promise<void>;
  /** Told when a volume is made in a lesser way than asked (no sized tmpfs). */
  warn?(message: string): void;
}

/** What a pod's volumes need that is not there, worded for `CreateContainerConfigError`. */
export interface VolumesMissing {
  missing: string;
}

const DEFAULT_MODE = 0o644;

/** Keeps a name usable as one path segment (pod uids come from the hub). */
const seg = (s: string): string => (/^[A-Za-z0-9._-]+$/.test(s) && s !== '.' && s !== '..' ? s : '_' + hash(s));
const hash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);

/** Every pod's volumes on this node. */
export class PodVolumes {
  /** Per pod uid: volume name → fingerprint of what was projected (configMap/secret) or `ready`. */
  private readonly made = new Map<string, Map<string, string>>();

  constructor(private readonly deps: PodVolumesDeps) {}

  /** Makes the pod's volumes, or brings projected ones up to date; says what is missing, if anything. */
  async sync(pod: Pod): Promise<VolumesMissing | undefined> {
    const uid = pod.metadata.uid ?? '';
    const ns = pod.metadata.namespace ?? 'default';
    const made = this.made.get(uid) ?? new Map<string, string>();
    this.made.set(uid, made);
    const sc = pod.spec.securityContext;
    const owner = sc?.fsGroup !== undefined ? { fsGroup: sc.fsGroup, policy: sc.fsGroupChangePolicy } : undefined;
    for (const v of pod.spec.volumes ?? []) {
      const problem = await this.syncOne(uid, ns, v, made, owner);
      if (problem !== undefined) return { missing: `MountVolume.SetUp failed for volume "${v.name}" : ${problem}` };
    }
    return undefined;
  }

  /** The mounts of `container` (its volumes made by `sync`); subPaths of projections are copied now. */
  async mounts(pod: Pod, container: Container): Promise<VolumeMountConfig[]> {
    const uid = pod.metadata.uid ?? '';
    const out: VolumeMountConfig[] = [];
    for (const [i, m] of (container.volumeMounts ?? []).entries()) {
      const v = pod.spec.volumes?.find((x) => x.name === m.name);
      if (!v) throw new Error(`volumeMount ${m.mountPath}: no volume "${m.name}"`);
      const dir = this.dirOf(uid, v);
      const projected = v.configMap !== undefined || v.secret !== undefined;
      let hostPath = dir;
      if (m.subPath !== undefined) {
        // A subPath of a projection is a copy made once: it does not update, as in Kubernetes.
        const copyDir = path.join(this.deps.memoryDir, seg(uid), 'subpaths', seg(container.name), String(i));
        hostPath = await resolveSubPath(dir, m.subPath, projected ? copyDir : undefined);
      }
      const mount: VolumeMountConfig = {
        volume: v.name,
        hostPath,
        containerPath: m.mountPath,
        readOnly: projected || m.readOnly === true,
      };
      if (v.emptyDir?.sizeLimit !== undefined) mount.sizeLimitBytes = memoryBytes(v.emptyDir.sizeLimit);
      if (v.emptyDir?.medium === 'Memory') mount.memory = true;
      out.push(mount);
    }
    return out;
  }

  /**
   * The first emptyDir of the pod over its `sizeLimit`, worded as the kubelet's eviction message;
   * undefined when none is.
   */
  async overLimit(pod: Pod): Promise<string | undefined> {
    const uid = pod.metadata.uid ?? '';
    for (const v of pod.spec.volumes ?? []) {
      if (v.emptyDir?.sizeLimit === undefined) continue;
      const limit = memoryBytes(v.emptyDir.sizeLimit);
      const used = await directoryBytes(this.dirOf(uid, v), limit + 1);
      if (used > limit) return `Usage of EmptyDir volume "${v.name}" exceeds the limit "${v.emptyDir.sizeLimit}".`;
    }
    return undefined;
  }

  /** Whether a change of `keys` (`kind/namespace/name`) concerns the pod's volumes. */
  uses(pod: Pod, keys: ReadonlySet<string>): boolean {
    const ns = pod.metadata.namespace ?? 'default';
    return (pod.spec.volumes ?? []).some(
      (v) =>
        (v.configMap && keys.has(`ConfigMap/${ns}/${v.configMap.name}`)) ||
        (v.secret && keys.has(`Secret/${ns}/${v.secret.secretName}`)),
    );
  }

  /** Removes everything of pod `uid` (its containers are gone). */
  async remove(uid: string): Promise<void> {
    this.made.delete(uid);
    await this.removeTree(path.join(this.deps.memoryDir, seg(uid)));
    await this.removeTree(path.join(this.deps.diskDir, seg(uid)));
  }

  /** Removes the volumes of pods not in `keep` (left by an earlier run or a crash). */
  async sweep(keep: ReadonlySet<string>): Promise<void> {
    for (const root of [this.deps.memoryDir, this.deps.diskDir]) {
      for (const name of await readdir(root).catch(() => [] as string[])) {
        if (![...keep].some((uid) => seg(uid) === name)) await this.removeTree(path.join(root, name));
      }
    }
  }

  /** Removes a pod's tree: its sized tmpfs mounts first (rm cannot remove a mount point). */
  private async removeTree(dir: string): Promise<void> {
    await (this.deps.unmountUnder ?? unmountUnder)(dir);
    await rm(dir, { recursive: true, force: true });
  }

  private dirOf(uid: string, v: Volume): string {
    if (v.hostPath) return v.hostPath.path;
    const memory = v.configMap !== undefined || v.secret !== undefined || v.emptyDir?.medium === 'Memory';
    return path.join(memory ? this.deps.memoryDir : this.deps.diskDir, seg(uid), 'volumes', seg(v.name));
  }

  private async syncOne(
    uid: string,
    ns: string,
    v: Volume,
    made: Map<string, string>,
    owner: Omit<Ownership, 'readOnly'> | undefined,
  ): Promise<string | undefined> {
    const dir = this.dirOf(uid, v);
    if (v.hostPath) return made.has(v.name) ? undefined : this.hostPath(v, made);
    if (v.emptyDir) {
      if (made.has(v.name)) return undefined;
      if (v.emptyDir.medium === 'Memory') {
        const problem = await this.deps.memoryProblem();
        if (problem !== undefined) return problem;
      }
      await mkdir(dir, { recursive: true, mode: 0o777 });
      // 0777 as the kubelet makes it, any container user may write (the umask narrowed mkdir); a
      // setgid bit of fsGroup stays.
      const mode = (await stat(dir)).mode;
      if ((mode & 0o777) !== 0o777) await chmod(dir, (mode & 0o7000) | 0o777);
      if (v.emptyDir.medium === 'Memory' && v.emptyDir.sizeLimit !== undefined) {
        const bytes = memoryBytes(v.emptyDir.sizeLimit);
        const problem = await (this.deps.mountTmpfs ?? mountSizedTmpfs)(dir, bytes);
        // Without the mount the limit is still enforced, later: the periodic check evicts the pod.
        if (problem !== undefined) this.deps.warn?.(`emptyDir "${v.name}" of pod ${uid}: ${problem}`);
      }
      if (owner) await setVolumeOwnership(dir, { ...owner, readOnly: false });
      made.set(v.name, 'ready');
      return undefined;
    }
    const kind: ConfigKind = v.configMap ? 'ConfigMap' : 'Secret';
    const src = v.configMap ?? v.secret;
    const name = v.configMap?.name ?? v.secret?.secretName ?? '';
    if (!src) return undefined;
    const obj = this.deps.lookup.get(kind, ns, name);
    const print = `${obj?.uid ?? '-'}:${obj?.resourceVersion ?? '-'}:${JSON.stringify(src)}`;
    if (made.get(v.name) === print) return undefined;
    if (!obj && src.optional !== true) {
      // Once projected, a volume keeps its last content when its object goes (as the kubelet does).
      return made.has(v.name) ? undefined : `${kind === 'ConfigMap' ? 'configmap' : 'secret'} "${name}" not found`;
    }
    const problem = await this.deps.memoryProblem();
    if (problem !== undefined) return problem;
    const files = projectedFiles(obj, src, kind);
    if (typeof files === 'string') return files;
    if (owner) {
      const o = { ...owner, readOnly: true };
      // The new content is given to the group before readers can see it; then the root and the links.
      await writeProjection(dir, files, (next) => setVolumeOwnership(next, { ...o, policy: 'Always' }));
      await setVolumeOwnership(dir, o);
    } else await writeProjection(dir, files);
    made.set(v.name, print);
    return undefined;
  }

  private async hostPath(v: Volume, made: Map<string, string>): Promise<string | undefined> {
    const hp = v.hostPath!;
    const st = await stat(hp.path).catch(() => undefined);
    switch (hp.type ?? '') {
      case 'DirectoryOrCreate':
        if (!st) await mkdir(hp.path, { recursive: true, mode: 0o755 });
        else if (!st.isDirectory()) return `hostPath type check failed: ${hp.path} is not a directory`;
        break;
      case 'FileOrCreate':
        if (!st) {
          await mkdir(path.dirname(hp.path), { recursive: true, mode: 0o755 });
          await writeFile(hp.path, '', { flag: 'a', mode: 0o644 });
        } else if (!st.isFile()) return `hostPath type check failed: ${hp.path} is not a file`;
        break;
      case 'Directory':
        if (!st?.isDirectory()) return `hostPath type check failed: ${hp.path} is not a directory`;
        break;
      case 'File':
        if (!st?.isFile()) return `hostPath type check failed: ${hp.path} is not a file`;
        break;
      case 'Socket':
        if (!st?.isSocket()) return `hostPath type check failed: ${hp.path} is not a socket file`;
        break;
      case 'CharDevice':
        if (!st?.isCharacterDevice()) return `hostPath type check failed: ${hp.path} is not a character device`;
        break;
      case 'BlockDevice':
        if (!st?.isBlockDevice()) return `hostPath type check failed: ${hp.path} is not a block device`;
        break;
    }
    made.set(v.name, 'ready');
    return undefined;
  }
}

/** The files of a configMap/secret volume: `items` (key → path, mode) or every key; `defaultMode`. */
function projectedFiles(
  obj: ConfigObject | undefined,
  src: {
    items?: Array<{ key: string; path: string; mode?: number | undefined }> | undefined;
    defaultMode?: number | undefined;
    optional?: boolean | undefined;
  },
  kind: ConfigKind,
): ProjectedFile[] | string {
  if (!obj) return []; // optional and absent: an empty volume
  const mode = src.defaultMode ?? DEFAULT_MODE;
  if (!src.items) return Object.entries(obj.data).map(([k, data]) => ({ path: k, data, mode }));
  const files: ProjectedFile[] = [];
  for (const item of src.items) {
    const data = obj.data[item.key];
    if (data === undefined) {
      if (src.optional === true) continue;
      return `${kind === 'ConfigMap' ? 'configmap' : 'secret'} references non-existent config key: ${item.key}`;
    }
    files.push({ path: item.path, data, mode: item.mode ?? mode });
  }
  return files;
}

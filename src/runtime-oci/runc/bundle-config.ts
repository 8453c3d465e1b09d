/**
 * The `config.json` of a runc bundle (OCI runtime spec 1.0), from the image config and the pod's
 * container spec as Kubernetes combines them: `command` replaces the image's entrypoint (and drops
 * its cmd), `args` replaces the cmd; env is the image's, then the pod's (the pod's win); the working
 * dir is the container's, else the image's, else `/`. Namespaces, mounts, masked paths and
 * capabilities follow runc's and Docker's defaults, so an image behaves as it does under Docker.
 * The container's `securityContext` then narrows (or, when privileged, widens) that: user, read-only
 * root, no-new-privileges, capabilities and the seccomp filter, plus a `pids` limit.
 */
import { CreateContainerError, LINUX_CAPABILITIES, capabilityName } from '../../api/index.js';
import type { EffectiveSecurity, VolumeMountConfig } from '../../api/index.js';
import type { ImageRunConfig } from '../image/image-config.js';
import { defaultSeccompProfile } from './seccomp-default.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Docker's default capability set (names without `CAP_`). */
export const DEFAULT_CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
] as const;

/** The pids limit of a container when the node sets none: a fork bomb stops there. */
export const DEFAULT_PIDS_LIMIT = 1024;

const MASKED_PATHS = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/sys/firmware',
  '/proc/scsi',
];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** The process a container runs: argv, env (`K=V`), cwd. */
export interface ProcessSpec {
  args: string[];
  env: string[];
  cwd: string;
}

/** Combines the image config with the pod's `command`/`args`/`env`/`workingDir`. */
export function processSpec(
  image: ImageRunConfig,
  c: { command: string[]; args: string[]; env: Record<string, string>; workingDir?: string; hostname: string },
  what: string,
): ProcessSpec {
  const entrypoint = c.command.length > 0 ? c.command : (image.Entrypoint ?? []);
  const cmd = c.args.length > 0 ? c.args : c.command.length > 0 ? [] : (image.Cmd ?? []);
  const args = [...entrypoint, ...cmd];
  if (args.length === 0)
    throw new CreateContainerError(
      `${what}: no command specified (the image has no entrypoint or cmd, and the pod gives no command)`,
    );
  const env = new Map<string, string>([['PATH', DEFAULT_PATH]]);
  for (const kv of image.Env ?? []) {
    const eq = kv.indexOf('=');
    if (eq > 0) env.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  env.set('HOSTNAME', c.hostname);
  for (const [k, v] of Object.entries(c.env)) env.set(k, v);
  const cwd = c.workingDir || image.WorkingDir || '/';
  if (!cwd.startsWith('/')) throw new CreateContainerError(`${what}: workingDir "${cwd}" is not an absolute path`);
  return { args, env: [...env].map(([k, v]) => `${k}=${v}`), cwd };
}

/**
 * The capabilities in a `CapBnd:` line of `/proc/<pid>/status` (names without `CAP_`): what the
 * node can hand a container at most. Bit n is capability n, in {@link LINUX_CAPABILITIES} order.
 */
export function boundingCapabilities(procStatus: string): string[] | undefined {
  const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(procStatus)?.[1];
  if (hex === undefined) return undefined;
  const mask = BigInt(`0x${hex}`);
  return LINUX_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/**
 * The capabilities a container holds (names without `CAP_`), with Docker's rules: `add: [ALL]` is
 * every capability but the dropped ones; `drop: [ALL]` leaves only the added ones; otherwise the
 * default set minus `drop` plus `add`. Privileged containers hold every capability. "Every" is
 * what the node has (`all`, from {@link boundingCapabilities}): runc cannot grant more.
 */
export function containerCapabilities(sec: EffectiveSecurity, all: readonly string[] = LINUX_CAPABILITIES): string[] {
  if (sec.privileged === true) return [...all];
  const add = (sec.capabilities?.add ?? []).map(capabilityName);
  const drop = new Set((sec.capabilities?.drop ?? []).map(capabilityName));
  let caps: string[];
  if (add.includes('ALL')) caps = all.filter((c) => !drop.has(c));
  else if (drop.has('ALL')) caps = add;
  else caps = [...DEFAULT_CAPABILITIES.filter((c) => !drop.has(c)), ...add];
  return [...new Set(caps)];
}

/**
 * The user a container's process runs as: `runAsUser`/`runAsGroup` over the image's user; the
 * pod's `fsGroup` and `supplementalGroups` as supplementary groups. `runAsNonRoot` with uid 0 is
 * refused as the kubelet refuses it (`CreateContainerConfigError`).
 */
export function containerUser(
  image: { uid: number; gid: number },
  sec: EffectiveSecurity,
  what: string,
): { uid: number; gid: number; additionalGids?: number[] } {
  const uid = sec.runAsUser ?? image.uid;
  // Kubernetes: runAsUser without runAsGroup keeps the image's group.
  const gid = sec.runAsGroup ?? image.gid;
  if (sec.runAsNonRoot === true && uid === 0) {
    const message =
      sec.runAsUser === 0
        ? `${what}: container's runAsUser breaks non-root policy`
        : `${what}: container has runAsNonRoot and image will run as root`;
    throw new CreateContainerError(message, undefined, 'CreateContainerConfigError');
  }
  const user: { uid: number; gid: number; additionalGids?: number[] } = { uid, gid };
  if (sec.supplementalGroups && sec.supplementalGroups.length > 0) user.additionalGids = [...sec.supplementalGroups];
  return user;
}

/** Everything {@link runcConfig} needs. */
export interface RuncConfigInput {
  process: ProcessSpec;
  /** The process runs on a terminal runc makes (Kubernetes `tty: true`). */
  terminal?: boolean;
  /** From {@link containerUser}. */
  user: { uid: number; gid: number; additionalGids?: number[] };
  /** The container's effective `securityContext` (empty: the defaults below). */
  security?: EffectiveSecurity;
  /** The node's `process.arch`, for the seccomp profile. */
  arch?: string;
  /** Every capability the node can grant (undefined: every Linux capability). */
  nodeCapabilities?: readonly string[] | undefined;
  /** `linux.resources.pids.limit`; 0 or less = none (default {@link DEFAULT_PIDS_LIMIT}). */
  pidsLimit?: number;
  hostname: string;
  /** Absolute path of the mounted rootfs. */
  rootfs: string;
  /** The pod's network namespace; undefined = the node's (host networking). */
  netnsPath?: string;
  /** cgroup path relative to each hierarchy's root, e.g. `/edgeplane/<id>`. */
  cgroupsPath: string;
  limits: { cpuMillis?: number; memoryBytes?: number };
  /** Files bind-mounted over `/etc/hosts`, `/etc/hostname`, `/etc/resolv.conf`. */
  etcFiles: { hosts: string; hostname: string; resolvConf?: string };
  /** The pod's volumes this container mounts (bind mounts, after the defaults). */
  volumeMounts?: readonly VolumeMountConfig[];
}

/**
 * The bind mounts of a container's volumes, parents before children (runc mounts in order, so a
 * mount inside another volume's path must come after it). `nosuid`/`nodev` always: a volume is data.
 */
export function volumeBindMounts(mounts: readonly VolumeMountConfig[]): Array<Record<string, unknown>> {
  const depth = (p: string): number => p.split('/').filter(Boolean).length;
  return [...mounts]
    .sort((a, b) => depth(a.containerPath) - depth(b.containerPath))
    .map((m) => ({
      destination: m.containerPath,
      type: 'bind',
      source: m.hostPath,
      options: ['rbind', 'rprivate', 'nosuid', 'nodev', m.readOnly ? 'ro' : 'rw'],
    }));
}

/**
 * The bundle's `config.json` document. Without a `securityContext` a container runs as Docker runs
 * it, except that `RuntimeDefault` seccomp and no-new-privileges are on unless asked off.
 */
export function runcConfig(i: RuncConfigInput): Record<string, unknown> {
  const sec = i.security ?? {};
  const privileged = sec.privileged === true;
  const namespaces: Array<{ type: string; path?: string }> = [
    { type: 'pid' },
    { type: 'ipc' },
    { type: 'uts' },
    { type: 'mount' },
  ];
  if (i.netnsPath !== undefined) namespaces.push({ type: 'network', path: i.netnsPath });
  const bind = (destination: string, source: string, ro = false): Record<string, unknown> => ({
    destination,
    type: 'bind',
    source,
    options: ['rbind', 'rprivate', ro ? 'ro' : 'rw'],
  });
  // A privileged container sees the node's devices (Docker creates a node for each; binding /dev does the same).
  const dev = privileged
    ? { destination: '/dev', type: 'bind', source: '/dev', options: ['rbind', 'rprivate', 'nosuid', 'rw'] }
    : {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      };
  const ro = privileged ? 'rw' : 'ro';
  const mounts: Array<Record<string, unknown>> = [
    { destination: '/proc', type: 'proc', source: 'proc' },
    dev,
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    // A fresh sysfs needs a network namespace of its own; with the node's, bind the node's read-only (as Docker does).
    i.netnsPath !== undefined
      ? { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', ro] }
      : { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', ro] },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', ro],
    },
    bind('/etc/hosts', i.etcFiles.hosts),
    bind('/etc/hostname', i.etcFiles.hostname),
  ];
  if (i.etcFiles.resolvConf !== undefined) mounts.push(bind('/etc/resolv.conf', i.etcFiles.resolvConf));
  mounts.push(...volumeBindMounts(i.volumeMounts ?? []));
  const resources: Record<string, unknown> = { devices: [{ allow: privileged, access: 'rwm' }] };
  const pids = i.pidsLimit ?? DEFAULT_PIDS_LIMIT;
  if (pids > 0) resources.pids = { limit: pids };
  if (i.limits.memoryBytes !== undefined) resources.memory = { limit: i.limits.memoryBytes };
  if (i.limits.cpuMillis !== undefined) {
    const period = 100_000;
    // The kernel refuses quotas under 1 ms.
    resources.cpu = { period, quota: Math.max(1000, Math.round((i.limits.cpuMillis * period) / 1000)) };
  }
  const caps = containerCapabilities(sec, i.nodeCapabilities);
  const capNames = caps.map((c) => `CAP_${c}`);
  const linux: Record<string, unknown> = {
    cgroupsPath: i.cgroupsPath,
    resources,
    namespaces,
    maskedPaths: privileged ? [] : MASKED_PATHS,
    readonlyPaths: privileged ? [] : READONLY_PATHS,
  };
  // RuntimeDefault unless the pod says Unconfined; a privileged container runs unfiltered, as under Docker.
  if (!privileged && sec.seccompProfile !== 'Unconfined')
    linux.seccomp = defaultSeccompProfile(i.arch ?? process.arch, caps);
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: i.terminal === true,
      user: i.user,
      args: i.process.args,
      env: i.process.env,
      cwd: i.process.cwd,
      capabilities: { bounding: capNames, effective: capNames, permitted: capNames },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      // Set unless escalation is asked for: setuid binaries and file capabilities then grant nothing.
      noNewPrivileges: !(privileged || sec.allowPrivilegeEscalation === true),
    },
    root: { path: i.rootfs, readonly: sec.readOnlyRootFilesystem === true },
    hostname: i.hostname,
    mounts,
    linux,
  };
}

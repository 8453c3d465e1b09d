/**
 * The `config.json` of a runc bundle (OCI runtime spec 1.0), from the image config and the pod's
 * container spec as Kubernetes combines them: `command` replaces the image's entrypoint (and drops
 * its cmd), `args` replaces the cmd; env is the image's, then the pod's (the pod's win); the working
 * dir is the container's, else the image's, else `/`. Namespaces, mounts, masked paths and
 * capabilities follow runc's and Docker's defaults, so an image behaves as it does under Docker.
 */
import { CreateContainerError } from '../../api/index.js';
import type { ImageRunConfig } from '../image/image-store.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Docker's default capability set. */
const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
  '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** The process a container runs: argv, env (`K=V`), cwd. */
export interface ProcessSpec {
  args: string[];
  env: string[];
  cwd: string;
}

/** Combines the image config with the pod's `command`/`args`/`env`/`workingDir`. */
export function processSpec(image: ImageRunConfig, c: { command: string[]; args: string[]; env: Record<string, string>; workingDir?: string; hostname: string }, what: string): ProcessSpec {
  const entrypoint = c.command.length > 0 ? c.command : (image.Entrypoint ?? []);
  const cmd = c.args.length > 0 ? c.args : c.command.length > 0 ? [] : (image.Cmd ?? []);
  const args = [...entrypoint, ...cmd];
  if (args.length === 0) throw new CreateContainerError(`${what}: no command specified (the image has no entrypoint or cmd, and the pod gives no command)`);
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

/** Everything {@link runcConfig} needs. */
export interface RuncConfigInput {
  process: ProcessSpec;
  user: { uid: number; gid: number };
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
}

/** The bundle's `config.json` document. */
export function runcConfig(i: RuncConfigInput): Record<string, unknown> {
  const namespaces: Array<{ type: string; path?: string }> = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (i.netnsPath !== undefined) namespaces.push({ type: 'network', path: i.netnsPath });
  const bind = (destination: string, source: string, ro = false): Record<string, unknown> => ({
    destination,
    type: 'bind',
    source,
    options: ['rbind', 'rprivate', ro ? 'ro' : 'rw'],
  });
  const mounts: Array<Record<string, unknown>> = [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    // A fresh sysfs needs a network namespace of its own; with the node's, bind the node's read-only (as Docker does).
    i.netnsPath !== undefined
      ? { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] }
      : { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    bind('/etc/hosts', i.etcFiles.hosts),
    bind('/etc/hostname', i.etcFiles.hostname),
  ];
  if (i.etcFiles.resolvConf !== undefined) mounts.push(bind('/etc/resolv.conf', i.etcFiles.resolvConf));
  const resources: Record<string, unknown> = { devices: [{ allow: false, access: 'rwm' }] };
  if (i.limits.memoryBytes !== undefined) resources.memory = { limit: i.limits.memoryBytes };
  if (i.limits.cpuMillis !== undefined) {
    const period = 100_000;
    // The kernel refuses quotas under 1 ms.
    resources.cpu = { period, quota: Math.max(1000, Math.round((i.limits.cpuMillis * period) / 1000)) };
  }
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: i.user.uid, gid: i.user.gid },
      args: i.process.args,
      env: i.process.env,
      cwd: i.process.cwd,
      capabilities: { bounding: CAPABILITIES, effective: CAPABILITIES, permitted: CAPABILITIES },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: false,
    },
    root: { path: i.rootfs, readonly: false },
    hostname: i.hostname,
    mounts,
    linux: {
      cgroupsPath: i.cgroupsPath,
      resources,
      namespaces,
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
    },
  };
}

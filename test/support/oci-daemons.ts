/**
 * Container daemons started by the tests, each with its own socket, state directories and bridge,
 * never touching a system daemon or the host's firewall: `podman system service` (CNI bridge without
 * masquerading or firewall plugins) and `dockerd` (its own data-root/exec-root, `iptables: false`,
 * on a bridge made here). `stop()` leaves nothing: processes, mounts, directories and bridges go.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { until } from './cluster.js';

/** True when `cmd` is on the PATH. */
export function haveCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Unmounts everything mounted at or under `dir` (deepest first, lazily when busy). */
export function unmountUnder(dir: string): void {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const p of points) {
    try {
      execFileSync('umount', [p], { stdio: 'ignore' });
    } catch {
      try {
        execFileSync('umount', ['-l', p], { stdio: 'ignore' });
      } catch {
        // gone meanwhile
      }
    }
  }
}

/** Pids of processes (other than this one) whose command line mentions `dir`. */
function pidsUsing(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) out.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/**
 * Removes a daemon's directory. A container's exit may still be running `podman container cleanup`
 * or a conmon after the service itself stopped, and such a straggler can mount the storage again
 * (EBUSY on rmdir): stragglers are killed and the unmount and removal tried again for a while.
 */
export async function removeDaemonDir(dir: string): Promise<void> {
  const end = Date.now() + 20_000;
  for (;;) {
    for (const pid of pidsUsing(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    unmountUnder(dir);
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
      return;
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Deletes a network device if it exists. */
export function deleteLink(name: string): void {
  try {
    execFileSync('ip', ['link', 'del', name], { stdio: 'ignore' });
  } catch {
    // absent
  }
}

async function waitSocket(socket: string, proc: ChildProcess, log: () => string): Promise<void> {
  await until(
    `the daemon socket ${socket}`,
    async () => {
      if (proc.exitCode !== null) throw new Error(`daemon exited (${proc.exitCode}): ${log().slice(-2000)}`);
      if (!existsSync(socket)) return false;
      const { Agent, request } = await import('undici');
      const dispatcher = new Agent({ connect: { socketPath: socket } });
      try {
        const r = await request('http://localhost/_ping', { dispatcher });
        await r.body.dump();
        return r.statusCode === 200;
      } finally {
        await dispatcher.close();
      }
    },
    60_000,
    100,
  );
}

async function stopProc(proc: ChildProcess, timeoutMs = 20_000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGTERM');
  const exited = new Promise((r) => proc.once('exit', r));
  const t = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(t);
}

/** Options shared by both daemons. */
export interface DaemonOptions {
  dir: string;
  /** Bridge device for the daemon's containers (≤ 15 characters). */
  bridge: string;
  /** Its subnet, e.g. `10.215.20.0/24` (the bridge gets `.1`). */
  subnet: string;
  /** Registries reached over plain HTTP. */
  insecureRegistries: string[];
}

const gatewayOf = (subnet: string): string => subnet.replace(/\.0\/([0-9]+)$/, '.1');

/** `podman system service` on a socket of its own. */
export class PodmanService {
  private constructor(
    readonly socketPath: string,
    private readonly proc: ChildProcess,
    private readonly opts: DaemonOptions,
  ) {}

  static async start(opts: DaemonOptions): Promise<PodmanService> {
    const d = opts.dir;
    for (const sub of ['root', 'runroot', 'tmp', 'cni']) mkdirSync(join(d, sub), { recursive: true });
    writeFileSync(
      join(d, 'containers.conf'),
      [
        '[containers]',
        // Root here lacks CAP_SYS_RESOURCE: podman's default ulimits cannot be applied.
        'default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]',
        'log_driver = "k8s-file"',
        '[engine]',
        'cgroup_manager = "cgroupfs"',
        'events_logger = "file"',
        'runtime = "runc"',
        // How long an ended exec session is kept (default 300 s, as Docker keeps it) before conmon
        // removes it. The node reads the exit code from the session just after its output ends, so 0
        // raced that read (a CI run got "no such exec session"); 30 s keeps few conmons lingering.
        'exit_command_delay = 30',
        `tmp_dir = "${join(d, 'tmp')}"`,
        '[network]',
        'network_backend = "cni"',
        `network_config_dir = "${join(d, 'cni')}"`,
        'default_network = "edgetest"',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(d, 'cni', 'edgetest.conflist'),
      JSON.stringify({
        cniVersion: '0.4.0',
        name: 'edgetest',
        plugins: [
          {
            type: 'bridge',
            bridge: opts.bridge,
            isGateway: true,
            ipMasq: false,
            hairpinMode: true,
            ipam: {
              type: 'host-local',
              routes: [{ dst: '0.0.0.0/0' }],
              ranges: [[{ subnet: opts.subnet, gateway: gatewayOf(opts.subnet) }]],
            },
          },
        ],
      }),
    );
    writeFileSync(
      join(d, 'registries.conf'),
      [
        'unqualified-search-registries = []',
        ...opts.insecureRegistries.map((r) => `[[registry]]\nlocation = "${r}"\ninsecure = true`),
        '',
      ].join('\n'),
    );
    const socketPath = join(d, 'podman.sock');
    const proc = spawn(
      'podman',
      [
        '--root',
        join(d, 'root'),
        '--runroot',
        join(d, 'runroot'),
        'system',
        'service',
        '--time=0',
        `unix://${socketPath}`,
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: {
          ...process.env,
          CONTAINERS_CONF: join(d, 'containers.conf'),
          CONTAINERS_REGISTRIES_CONF: join(d, 'registries.conf'),
        },
      },
    );
    let log = '';
    proc.stderr?.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-8000)));
    await waitSocket(socketPath, proc, () => log);
    return new PodmanService(socketPath, proc, opts);
  }

  async stop(): Promise<void> {
    await stopProc(this.proc);
    deleteLink(this.opts.bridge);
    await removeDaemonDir(this.opts.dir);
  }
}

/** `dockerd` with its own data-root, exec-root, socket and bridge. */
export class Dockerd {
  private constructor(
    readonly socketPath: string,
    private readonly proc: ChildProcess,
    private readonly opts: DaemonOptions,
  ) {}

  static async start(opts: DaemonOptions): Promise<Dockerd> {
    const d = opts.dir;
    mkdirSync(d, { recursive: true });
    deleteLink(opts.bridge);
    const prefix = opts.subnet.split('/')[1] ?? '24';
    execFileSync('ip', ['link', 'add', 'name', opts.bridge, 'type', 'bridge']);
    execFileSync('ip', ['addr', 'add', `${gatewayOf(opts.subnet)}/${prefix}`, 'dev', opts.bridge]);
    execFileSync('ip', ['link', 'set', opts.bridge, 'up']);
    const socketPath = join(d, 'docker.sock');
    writeFileSync(
      join(d, 'daemon.json'),
      JSON.stringify({
        'data-root': join(d, 'data'),
        'exec-root': join(d, 'exec'),
        pidfile: join(d, 'docker.pid'),
        hosts: [`unix://${socketPath}`],
        iptables: false,
        'ip-masq': false,
        'ip-forward': false,
        bridge: opts.bridge,
        'insecure-registries': opts.insecureRegistries,
        'storage-driver': 'overlay2',
      }),
    );
    const proc = spawn('dockerd', ['--config-file', join(d, 'daemon.json')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    proc.stderr?.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-8000)));
    await waitSocket(socketPath, proc, () => log);
    return new Dockerd(socketPath, proc, opts);
  }

  async stop(): Promise<void> {
    await stopProc(this.proc, 30_000);
    deleteLink(this.opts.bridge);
    await removeDaemonDir(this.opts.dir);
  }
}

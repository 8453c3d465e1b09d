/**
 * A real etcd cluster for tests: Debian's `/usr/bin/etcd` (3.4), one process per member on its own
 * loopback address, ports from `freePort()`, a throw-away data dir per member. Members can be
 * killed with SIGKILL and restarted on their data dir. When etcd is not installed, `start` throws:
 * the tests that need it fail rather than skip (`.ci/run` installs `etcd-server`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '../../../../api/index.js';
import { freePort, until } from '../../../../../test/support/cluster.js';

/** Where Debian's etcd-server package puts the binary (or `$ETCD_BIN`). */
export const ETCD_BIN = process.env['ETCD_BIN'] ?? '/usr/bin/etcd';

interface MemberSpec {
  name: string;
  host: string;
  clientPort: number;
  peerPort: number;
  /** Plain-HTTP `/health` and `/metrics` (`--listen-metrics-urls`), also when the client port is TLS. */
  metricsPort: number;
  dataDir: string;
}

/** TLS on the client port: the server's certificate and key, and the CA its clients must be signed by. */
export interface EtcdServerTls {
  certFile: string;
  keyFile: string;
  /** With it, etcd requires client certificates signed by this CA (`--client-cert-auth`). */
  clientCaFile?: string;
}

/** A running etcd cluster started by a test. */
export class EtcdTestCluster {
  readonly #specs: MemberSpec[];
  readonly #procs: Array<ChildProcess | undefined>;
  readonly #root: string;
  readonly #token: string;
  readonly #tls: EtcdServerTls | undefined;
  /** Last lines of each member's stderr, shown when it fails to come up. */
  readonly #logs: string[][];

  private constructor(specs: MemberSpec[], root: string, token: string, tls: EtcdServerTls | undefined) {
    this.#specs = specs;
    this.#tls = tls;
    this.#procs = specs.map(() => undefined);
    this.#logs = specs.map(() => []);
    this.#root = root;
    this.#token = token;
  }

  /**
   * Starts `hosts.length` members, one per loopback address (e.g. `['127.0.53.1']`), and waits until
   * each answers `/health`.
   */
  static async start(hosts: string[], tls?: EtcdServerTls): Promise<EtcdTestCluster> {
    if (!existsSync(ETCD_BIN)) {
      throw new Error(`etcd not found at ${ETCD_BIN}: install Debian's etcd-server (apt-get install etcd-server)`);
    }
    // A port picked free may be taken before etcd binds it (another test's process): the member then
    // exits, and the cluster starts again on fresh ports.
    for (let attempt = 1; ; attempt++) {
      try {
        return await EtcdTestCluster.#startOnce(hosts, tls);
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  }

  static async #startOnce(hosts: string[], tls?: EtcdServerTls): Promise<EtcdTestCluster> {
    const root = mkdtempSync(join(tmpdir(), 'etcd-test-'));
    const specs: MemberSpec[] = [];
    for (const [i, host] of hosts.entries()) {
      specs.push({
        name: `m${i}`,
        host,
        clientPort: await freePort(host),
        peerPort: await freePort(host),
        metricsPort: await freePort(host),
        dataDir: join(root, `m${i}`),
      });
    }
    const cluster = new EtcdTestCluster(specs, root, `edgeplane-test-${process.pid}-${Date.now()}`, tls);
    try {
      for (let i = 0; i < specs.length; i++) cluster.#spawn(i, 'new');
      await Promise.all(specs.map((_, i) => cluster.waitHealthy(i)));
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Client URLs of every member (`http://host:port`, `https://` with TLS). */
  get endpoints(): string[] {
    return this.#specs.map((s) => this.#clientUrl(s));
  }

  #clientUrl(s: MemberSpec): string {
    return `${this.#tls ? 'https' : 'http'}://${s.host}:${s.clientPort}`;
  }

  /** Kills member `i` with SIGKILL (no clean shutdown) and waits for it to exit. */
  async kill(i: number): Promise<void> {
    const p = this.#procs[i];
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGKILL');
    await exited;
    this.#procs[i] = undefined;
  }

  /** Restarts member `i` on its data dir and waits until it is healthy. */
  async restart(i: number): Promise<void> {
    await this.kill(i);
    this.#spawn(i, 'existing');
    await this.waitHealthy(i);
  }

  /** Polls member `i`'s `/health` until it reports healthy (it has a leader). */
  async waitHealthy(i: number): Promise<void> {
    const s = this.#specs[i]!;
    const stderr = (): string => this.#logs[i]!.slice(-3).join(' | ');
    try {
      await until(
        `etcd member ${s.name} on ${this.#clientUrl(s)} healthy`,
        async () => {
          const p = this.#procs[i];
          if (p && (p.exitCode !== null || p.signalCode !== null))
            throw new Error(`etcd member ${s.name} exited (${p.exitCode ?? p.signalCode}): ${stderr()}`);
          const res = await fetch(`http://${s.host}:${s.metricsPort}/health`);
          const body = (await res.json()) as { health?: string };
          return res.ok && body.health === 'true';
        },
        30_000,
      );
    } catch (err) {
      // Its stderr as it is now, not as it was when the wait began.
      throw new Error(`${errorMessage(err)} (stderr: ${stderr()})`, { cause: err });
    }
  }

  /** Kills every member and removes their data. */
  async stop(): Promise<void> {
    await Promise.all(this.#specs.map((_, i) => this.kill(i)));
    rmSync(this.#root, { recursive: true, force: true });
  }

  #spawn(i: number, state: 'new' | 'existing'): void {
    const s = this.#specs[i]!;
    const peers = this.#specs.map((p) => `${p.name}=http://${p.host}:${p.peerPort}`).join(',');
    const client = this.#clientUrl(s);
    const peer = `http://${s.host}:${s.peerPort}`;
    const args = [
      `--name=${s.name}`,
      `--data-dir=${s.dataDir}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=${peers}`,
      `--initial-cluster-state=${state}`,
      `--initial-cluster-token=${this.#token}`,
      `--listen-metrics-urls=http://${s.host}:${s.metricsPort}`,
      ...(this.#tls
        ? [
            `--cert-file=${this.#tls.certFile}`,
            `--key-file=${this.#tls.keyFile}`,
            ...(this.#tls.clientCaFile ? [`--trusted-ca-file=${this.#tls.clientCaFile}`, '--client-cert-auth'] : []),
          ]
        : []),
      '--logger=zap',
      '--log-level=warn',
      // Short election timings: a killed member's successor is elected within a second.
      '--heartbeat-interval=50',
      '--election-timeout=500',
    ];
    const p = spawn(ETCD_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const log = this.#logs[i]!;
    p.stderr?.setEncoding('utf8');
    p.stderr?.on('data', (chunk: string) => {
      log.push(...chunk.split('\n').filter((l) => l.trim() !== ''));
      if (log.length > 50) log.splice(0, log.length - 50);
    });
    this.#procs[i] = p;
  }
}

/**
 * The driver's end of the harness process: forks `bench/hollow/main.ts` (under tsx) so the hub and
 * the hollow nodes are separate processes, and sends it commands over IPC.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { DialRecord } from './dial-log.js';
import type { AssignmentDiff, FleetProgress, FleetStats, JoinReport } from './fleet.js';
import type { HarnessCommand, HarnessReply } from './protocol.js';

type Pending = { resolve(v: unknown): void; reject(e: Error): void };

/** A running harness process. */
export class HarnessClient {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #exited = false;

  /** `cpuProfDir`: write the harness's V8 CPU profile there (`node --cpu-prof`) when it exits. */
  constructor(opts: { maxOldSpaceMb?: number; cpuProfDir?: string } = {}) {
    this.#child = fork(join(import.meta.dirname, 'main.ts'), [], {
      execArgv: [
        '--import',
        'tsx',
        `--max-old-space-size=${opts.maxOldSpaceMb ?? 4096}`,
        ...(opts.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir] : []),
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#child.on('message', (m: HarnessReply) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`harness: ${m.error}`));
    });
    this.#child.on('exit', (code, signal) => {
      this.#exited = true;
      for (const p of this.#pending.values()) p.reject(new Error(`the harness exited (${code ?? signal})`));
      this.#pending.clear();
    });
  }

  /** Process id of the harness (for its CPU and memory). */
  get pid(): number {
    return this.#child.pid ?? 0;
  }

  /** Sends one command and waits for its answer. */
  send(command: Extract<HarnessCommand, { cmd: 'join' }>): Promise<JoinReport>;
  send(command: Extract<HarnessCommand, { cmd: 'stats' }>): Promise<FleetStats>;
  send(command: Extract<HarnessCommand, { cmd: 'progress' }>): Promise<FleetProgress>;
  send(command: Extract<HarnessCommand, { cmd: 'diffAssignments' }>): Promise<AssignmentDiff>;
  send(command: Extract<HarnessCommand, { cmd: 'dialReport' }>): Promise<DialRecord[]>;
  send(
    command: Extract<HarnessCommand, { cmd: 'setReady' }>,
  ): Promise<{ node: string; uid: string; name: string } | null>;
  send(command: HarnessCommand): Promise<unknown>;
  send(command: HarnessCommand): Promise<unknown> {
    if (this.#exited) return Promise.reject(new Error('the harness has exited'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.send({ id, command });
    });
  }

  /** Closes the fleet and ends the process. */
  async close(): Promise<void> {
    if (this.#exited) return;
    await this.send({ cmd: 'close' }).catch(() => undefined);
    const exited = new Promise((r) => this.#child.once('exit', r));
    this.#child.disconnect();
    const t = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
}

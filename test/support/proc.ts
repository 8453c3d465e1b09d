/**
 * The processes of end-to-end tests: the compiled bins (as a user runs them) started as children,
 * their output captured, and stopped with a bounded wait.
 */
import type { ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

/** The repository's root directory. */
export const ROOT = resolve(import.meta.dirname, '../..');

/** Path of the compiled bin `name` (`bin/<name>.js`), which runs the built `dist/`. */
export const BIN = (name: string): string => join(ROOT, 'bin', `${name}.js`);

/** A started process with its captured output. */
export class Proc {
  out = '';
  err = '';
  exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => (this.out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.err += d.toString()));
    this.exited = new Promise((res) => child.once('exit', (code) => res(code)));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Sends `signal` and waits for the exit. A process still alive `graceMs` later (a SIGTERM that hangs
   * on a loaded machine) is killed with SIGKILL, so a teardown cannot hang past its hook's timeout.
   */
  async kill(signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill(signal);
    if (signal === 'SIGKILL') {
      await this.exited;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((res) => (timer = setTimeout(() => res('late'), graceMs)));
    const outcome = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (outcome === 'late' && this.alive) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** What a process run to its end said: its exit code and its whole output. */
export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

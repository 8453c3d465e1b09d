/**
 * One container's process under runc. The agent runs `runc run --keep` in the foreground, not
 * `create`/`start`: runc then stays the parent of the container's init, so its exit status is the
 * container's (128 + signal when killed) — `runc state` never reports one — and `--keep` leaves the
 * cgroup in place until `runc delete`, so an OOM kill can still be read after the exit. The
 * container's stdout/stderr are copied into the CRI log file as they come, at the pace the log file
 * takes them. Every container runs under a shim that outlives the agent (runc-shim.ts), so the next
 * agent can adopt it: its output, and its stdin when it has one (attach), go through pipes in the
 * bundle that the shim keeps open; with a terminal the shim runs `script` as the pty helper.
 */
import type net from 'node:net';
import { join } from 'node:path';
import { errorMessage, rfc3339 } from '../../api/index.js';
import { CriLogWriter } from '../../platform/index.js';
import type { AttachOptions, ExecProcess } from '../../api/index.js';
import type { OciExit } from '../adapter.js';
import { runCommand } from '../command.js';
import { oomKilled } from './cgroups.js';
import { ContainerAttachments } from './runc-attach.js';
import { SCRIPT, ptsOf, setSize } from './runc-exec-stream.js';
import { STDERR_TAIL, readPid, readTail, sleep, ttyRun } from './runc-process-util.js';
import {
  closeShimStdin,
  endClosedStdinHolder,
  makeShimPipes,
  openShimOutput,
  openShimStdin,
  shimExit,
  spawnShim,
} from './runc-shim.js';
import type { RuncProcessDeps } from './runc-process-deps.js';

export type { RuncProcessDeps } from './runc-process-deps.js';

/** runc's log file in the bundle of a container on a terminal. */
const RUNC_LOG = 'runc.log';

/** A container process: started once, exits once. */
export class RuncProcess {
  state: 'created' | 'running' | 'exited' = 'created';
  pid: number | undefined;
  startedAt: string | undefined;
  exit: OciExit | undefined;
  #exited: Promise<void> | undefined;
  #stderrTail = '';
  /** The output pipes read from the container, and the agent's writer on its stdin pipe. */
  #pipes: Array<{ destroy(): void }> = [];
  #released = false;
  /** The exit is being reported (the attachments end, which must not close stdin any more). */
  #ending = false;
  #attachments: ContainerAttachments | undefined;
  /** Resizes that came before the terminal existed: the latest wins. */
  #size: { width: number; height: number } | undefined;

  constructor(private readonly deps: RuncProcessDeps) {}

  /**
   * Takes over a container an earlier agent started under the shim (its pid and start time from the
   * bundle): reads its output on from the pipes, and its exit — also one that came while no agent ran;
   * attaches write to its stdin pipe again, unless it was closed.
   */
  async adopt(pid: number, startedAt: string): Promise<void> {
    if (this.#exited) throw new Error(`container ${this.deps.id} was started already`);
    this.pid = pid;
    this.startedAt = startedAt;
    this.state = 'running';
    try {
      // A writer of its own for a moment: Linux reports a pipe's end (POLLHUP) to a reader only when a
      // writer opened after it, so without it the end of a shim that is already gone would never come.
      // The readers open before the stdin is looked at: ending a closed stdin's holder (below) lets the
      // container end at once, and a pipe's unread output is gone once the exiting shim drops the last
      // end of it — with this agent's reader open it is read.
      const { output, release } = openShimOutput(this.deps.bundle, true);
      try {
        this.#attachments = await this.#attachmentsFor().catch((err: unknown) => {
          output.stdout.destroy();
          output.stderr.destroy();
          throw err;
        });
        await this.#follow(output.stdout, output.stderr, output.ended);
      } finally {
        release();
      }
    } catch (err) {
      // Not taken back (the caller removes the container): nothing of it stays open here, nor a holder
      // of a stdin marked closed that the failure kept this agent from ending.
      this.release();
      await endClosedStdinHolder(this.deps.bundle).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Lets go of a container under the shim (the agent exits, leaving it for the next agent): its
   * output is no longer read here, and it runs on; no exit is reported by this process.
   */
  release(): void {
    this.#released = true;
    for (const s of this.#pipes) s.destroy();
  }

  /** Joins the running process (kubectl `attach -i/-t`); see runc-attach.ts. */
  attach(opts: AttachOptions): ExecProcess {
    if (!this.#attachments) throw new Error(`container ${this.deps.id} has not started`);
    return this.#attachments.attach(opts);
  }

  /** Runs the container; resolves once its process exists, rejects with runc's message if it never does. */
  async start(): Promise<string> {
    if (this.#exited) throw new Error(`container ${this.deps.id} was started already`);
    const { runc, root, id, bundle } = this.deps;
    const pidFile = join(bundle, 'pid');
    const terminal = this.deps.tty === true;
    await makeShimPipes(bundle, terminal || this.deps.stdin !== undefined);
    // The agent's read ends are open before the shim starts, so a container that fails at once
    // still has its runc error read; the agent's own writers go once the shim holds the pipes.
    const { output, release } = openShimOutput(bundle, true);
    // On a terminal runc's own errors would go to the pty (into the container's log, and coloured,
    // as logrus writes to a terminal): its log file keeps them for the exit message.
    const runcLog = terminal ? ['--log', join(bundle, RUNC_LOG)] : [];
    const runArgs = [...runcLog, '--root', root, 'run', '--keep', '--bundle', bundle, '--pid-file', pidFile, id];
    // With a terminal, runc makes the container's pty and relays it to its own stdio, which must be a
    // terminal too: as for `exec -t` (runc-exec-stream.ts), util-linux `script` gives runc one, and
    // the size set on that pty reaches the container's (runc forwards SIGWINCH). A terminal whose
    // client never writes keeps its stdin open (the shim's holder): `script` would pass an end on as ^D.
    const shim = terminal
      ? spawnShim(bundle, SCRIPT, ['-q', '-e', '-E', 'never', '-c', ttyRun(runc, runArgs, this.#ttyFile), '/dev/null'], { ...process.env, SHELL: '/bin/sh' }) // prettier-ignore
      : spawnShim(bundle, runc, runArgs);
    this.#attachments = await this.#attachmentsFor();
    await this.#follow(output.stdout, output.stderr, output.ended);
    let released = false;
    const releaseOnce = (): void => {
      if (!released) release();
      released = true;
    };
    void shim.exited.then(releaseOnce);
    try {
      return await this.#waitStarted(pidFile, async () => (await shimExit(bundle)) !== undefined);
    } finally {
      releaseOnce();
    }
  }

  /** Where `script` writes the name of the terminal it made for runc (resizes are set on it). */
  get #ttyFile(): string {
    return join(this.deps.bundle, 'tty');
  }

  /** The container's attachments: its output, its stdin pipe (if it has one and it is open), its terminal. */
  async #attachmentsFor(): Promise<ContainerAttachments> {
    const { bundle } = this.deps;
    const stdin = this.deps.stdin ? await openShimStdin(bundle) : undefined;
    if (stdin) this.#pipes.push(stdin);
    return new ContainerAttachments({
      stdin,
      stdinOnce: this.deps.stdin?.once === true,
      tty: this.deps.tty === true,
      resize: (size) => {
        this.#size = size;
        void ptsOf(this.#ttyFile).then((pts) => (pts && this.#size ? setSize(pts, this.#size) : undefined));
      },
      // Not once the container ended: its holder went with it (and its pid may be another's by now).
      closeStdin: () =>
        this.#ending
          ? undefined
          : void closeShimStdin(bundle).catch((err: unknown) =>
              this.deps.logger.warn(
                { container: this.deps.id, err: errorMessage(err) },
                "cannot close the container's stdin",
              ),
            ),
    });
  }

  /** Copies the container's output into its log (and attachments) until `ended`, then reports the exit. */
  async #follow(stdout: net.Socket, stderr: net.Socket, ended: Promise<void>): Promise<void> {
    this.#pipes.push(stdout, stderr);
    const log = await CriLogWriter.open(this.deps.logPath, this.deps.logRotation);
    this.#copyOutput(stdout, stderr, log);
    this.#exited = ended.then(async () => {
      if (this.#released) return void (await log.close());
      const exit = await shimExit(this.deps.bundle);
      if (!exit) this.#stderrTail += `\nlevel=error msg="the container's runc shim ended without recording its exit"`;
      await this.#finish(exit?.code ?? 137, log, exit?.at);
    });
  }

  /**
   * Copies output into the log and to attachments. Backpressure: a container writing faster than
   * the disk is paused (its pipe fills and its writes block) rather than growing the agent's heap.
   */
  #copyOutput(stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream, log: CriLogWriter): void {
    const attachments = this.#attachments!;
    const copy = (stream: 'stdout' | 'stderr', from: NodeJS.ReadableStream, d: Buffer): void => {
      const attached = attachments.publish(stream === 'stdout' ? 1 : 2, d);
      const logged = log.write(stream, d) ? undefined : log.drained();
      if (!attached && !logged) return;
      from.pause();
      void Promise.all([attached, logged]).then(() => from.resume());
    };
    stdout.on('data', (d: Buffer) => copy('stdout', stdout, d));
    stderr.on('data', (d: Buffer) => {
      this.#stderrTail = (this.#stderrTail + d.toString('utf8')).slice(-STDERR_TAIL);
      copy('stderr', stderr, d);
    });
  }

  /**
   * runc writes the pid file once the container exists: a process that ran and exited at once has
   * one too (it started; its exit is reported as usual), a container runc could not start has none.
   */
  async #waitStarted(pidFile: string, ended: () => Promise<boolean> = () => Promise.resolve(false)): Promise<string> {
    for (;;) {
      const exitedBefore = this.exit !== undefined;
      const pid = await readPid(pidFile);
      if (pid !== undefined) {
        this.pid = pid;
        if (this.state === 'created') this.state = 'running';
        this.startedAt = rfc3339(Date.now());
        return this.startedAt;
      }
      if (exitedBefore) break;
      // runc ended without starting it: its error is read from the pipes before the loop gives up.
      if (await ended()) await this.waitExit(5_000);
      else await Promise.race([this.#exited, sleep(5)]);
    }
    throw new Error(
      this.#runcMessage() || `runc exited with code ${this.exit?.exitCode ?? 'unknown'} before the container started`,
    );
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs: number): Promise<void> {
    if (!this.#exited || this.state === 'exited') return;
    if (graceMs > 0) {
      await this.#kill('TERM');
      if (await this.waitExit(graceMs)) return;
    }
    await this.#kill('KILL');
    // runc itself stuck: `runc delete --force` at removal kills what is left.
    await this.waitExit(10_000);
  }

  /** Resolves true once exited, false after `timeoutMs`. */
  async waitExit(timeoutMs: number): Promise<boolean> {
    if (!this.#exited) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const done = await Promise.race([this.#exited.then(() => true), timeout]);
    clearTimeout(timer);
    return done;
  }

  async #kill(signal: string): Promise<void> {
    await runCommand(this.deps.runc, ['--root', this.deps.root, 'kill', this.deps.id, signal], {
      allowFailure: true,
      timeoutMs: 10_000,
    }).catch(() => undefined);
  }

  /** Reports the exit `exitCode` (runc's status as the shim recorded it: 128 + a signal when killed). */
  async #finish(exitCode: number, log: CriLogWriter, at?: Date): Promise<void> {
    const oom = await oomKilled(this.deps.cgroupsPath);
    if (this.deps.tty) this.#stderrTail += await readTail(join(this.deps.bundle, RUNC_LOG));
    const finishedAt = rfc3339(at ? at.getTime() : Date.now());
    const exit: OciExit = { id: this.deps.id, exitCode, finishedAt, oomKilled: oom };
    const msg = this.#runcMessage();
    if (msg) exit.message = msg;
    await log.close();
    for (const p of this.#pipes) p.destroy();
    this.#ending = true;
    this.#attachments?.exited(exitCode);
    this.exit = exit;
    this.state = 'exited';
    this.deps.logger.debug({ container: this.deps.id, exitCode, oom }, 'container exited');
    this.deps.onExit(exit);
  }

  /** runc's own error (`level=error msg="…"`), if it printed one. */
  #runcMessage(): string | undefined {
    const m = /level=error msg="((?:[^"\\]|\\.)*)"/.exec(this.#stderrTail);
    return m?.[1]?.replace(/\\(.)/g, '$1');
  }
}

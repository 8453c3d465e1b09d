/**
 * `exec` with streamed stdio through the Engine API (kubectl `exec -i/-t`, `cp`), as the docker CLI
 * runs it: create the exec instance, then start it on a hijacked connection (`Upgrade: tcp`, answered
 * `101 UPGRADED`) that carries the command's stdin one way and its output the other: multiplexed
 * stdout/stderr frames without a tty, the terminal's raw bytes with one. Ending our write side
 * closes the command's stdin (both dockerd and podman read the half-close as EOF). Terminal sizes go
 * to `POST /exec/{id}/resize`.
 *
 * Output is read only as fast as the agent's reader takes it, so a slow client stalls the command
 * on a full pipe. `kill` SIGKILLs the command's host process and everything under it (the API has no
 * way to stop an exec), then drops the connection.
 */
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { ExecProcess, ExecStreamOptions } from '../../api/index.js';
import { killTree } from '../process-tree.js';
import type { EngineClient, HijackedStream } from './engine-client.js';
import { TerminalSizer, halfClose, pumpOutput, socketStdin } from './engine-hijack-io.js';

interface ExecInspect {
  ExitCode?: number | null;
  Running?: boolean;
  Pid?: number;
}

/** Exit code reported for a command we killed (128 + SIGKILL), as a runtime reports it. */
const KILLED = 137;

/** Starts `command` in container `engineId` with streamed stdio. */
export async function engineExecStream(
  client: EngineClient,
  engineId: string,
  command: readonly string[],
  opts: ExecStreamOptions,
): Promise<ExecProcess> {
  const created = await client.call<{ Id: string }>('POST', `/containers/${engineId}/exec`, {
    body: {
      AttachStdin: opts.stdin,
      AttachStdout: true,
      AttachStderr: !opts.tty,
      Tty: opts.tty,
      Cmd: command,
      // Honoured by dockerd ≥ API 1.42 (the first size, before the command reads it); ignored before.
      ...(opts.tty && opts.size ? { ConsoleSize: [opts.size.height, opts.size.width] } : {}),
    },
  });
  const execId = created?.Id;
  if (!execId) throw new Error('the daemon created no exec instance');
  const size = opts.tty && opts.size ? opts.size : undefined;
  const hijacked = await client.hijack(`/exec/${execId}/start`, {
    Detach: false,
    Tty: opts.tty,
    // podman's own names for the first size; dockerd ignores them.
    ...(size ? { h: size.height, w: size.width, ConsoleSize: [size.height, size.width] } : {}),
  });
  return new EngineExecProcess(client, execId, hijacked, opts);
}

/** One running exec on its hijacked connection. */
class EngineExecProcess implements ExecProcess {
  readonly stdin: Writable | undefined;
  readonly stdout = new PassThrough();
  readonly stderr: Readable | undefined;
  readonly exited: Promise<number>;
  readonly #client: EngineClient;
  readonly #execId: string;
  readonly #socket: HijackedStream['socket'];
  readonly #sizer: TerminalSizer;
  #killed = false;

  constructor(client: EngineClient, execId: string, hijacked: HijackedStream, opts: ExecStreamOptions) {
    this.#client = client;
    this.#execId = execId;
    const { socket } = hijacked;
    this.#socket = socket;
    socket.on('error', () => undefined);
    const stderr = opts.tty ? undefined : new PassThrough();
    this.stderr = stderr;
    // Ending our write side closes the command's stdin.
    this.stdin = opts.stdin ? socketStdin(socket, () => halfClose(socket)) : undefined;
    // Without stdin, say so at once: a command reading it gets EOF rather than waiting for ever.
    if (!opts.stdin) socket.end();
    this.#sizer = new TerminalSizer((size) =>
      client.call('POST', `/exec/${execId}/resize`, { query: { h: String(size.height), w: String(size.width) } }),
    );
    const pumped = pumpOutput(hijacked, opts.tty, this.stdout, stderr);
    if (opts.tty && opts.size) this.resize(opts.size);
    this.exited = pumped.then(async () => {
      this.stdout.end();
      stderr?.end();
      socket.destroy();
      return this.#killed ? KILLED : await exitCode(client, execId);
    });
  }

  resize(size: { width: number; height: number }): void {
    this.#sizer.resize(size);
  }

  kill(): void {
    if (this.#killed) return;
    this.#killed = true;
    void this.#client
      .call<ExecInspect>('GET', `/exec/${this.#execId}/json`)
      .then((i) => (i?.Pid ? killTree(i.Pid) : undefined))
      .catch(() => undefined)
      .finally(() => this.#socket.destroy());
  }
}

/** How long the daemon gets to record an exit code once the output ended (a loaded daemon is slow). */
const EXIT_CODE_WAIT_MS = 30_000;

/**
 * The exit code the daemon recorded (the output ends a moment before it does); 126 when it never
 * says, as for a command that could not be run.
 */
async function exitCode(client: EngineClient, execId: string): Promise<number> {
  const until = Date.now() + EXIT_CODE_WAIT_MS;
  for (let wait = 10; Date.now() < until; wait = Math.min(wait * 2, 200)) {
    const info = await client.call<ExecInspect>('GET', `/exec/${execId}/json`).catch(() => undefined);
    if (info && !info.Running && typeof info.ExitCode === 'number') return info.ExitCode;
    await new Promise((r) => setTimeout(r, wait));
  }
  return 126;
}

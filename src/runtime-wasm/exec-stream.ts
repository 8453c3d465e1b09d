/**
 * `Runtime.execStream` for Wasm (kubectl `exec -i`, and `exec` without `-i`): the command's instance
 * reads the client's stdin as it arrives and its output reaches the client as it is written, so an
 * interactive program (read a line, answer, read the next) works.
 *
 * - stdin: each write goes into the exec's shared ring (stdio/); its callback, which is what
 *   acknowledges the bytes to the hub, waits while the ring is full: backpressure to kubectl.
 * - stdout/stderr: the worker posts pieces within a per-stream credit (OUTPUT_WINDOW_BYTES) and
 *   blocks at zero; credit comes back as the reader takes the bytes out of the Readable, so a guest
 *   printing to a slow client waits instead of growing memory.
 * - kill (the client went): the exec is cancelled: a guest waiting for input or output room ends at
 *   once, and its executor (its own, see exec.ts) is ended.
 */
import { Readable, Writable } from 'node:stream';
import type { ExecProcess } from '../api/index.js';
import { KILLED_EXIT_CODE } from './exit-codes.js';
import { runExec, toExecResult, type ExecDeps } from './exec.js';
import type { InstanceOwner } from './executors/executor.js';
import { OUTPUT_PIECE_BYTES, StdioChannel } from './stdio/index.js';

type Stream = 'stdout' | 'stderr';

/** What {@link execStreamInstance} needs: {@link ExecDeps} without what it makes itself. */
export type ExecStreamDeps = Omit<ExecDeps, 'stdio' | 'owner' | 'signal'> & {
  /** The client sends stdin (`-i`); otherwise stdin is at its end from the start. */
  stdin: boolean;
  /** Runs the exec within the node's memory budget (`memory.extra`). */
  within<T>(run: () => Promise<T>): Promise<T>;
};

/**
 * A Readable of one output stream whose consumption gives the worker its credit back: what was
 * pushed, less what still sits in the buffer, has been passed on.
 */
function creditedOutput(
  channel: StdioChannel,
  stream: Stream,
): { readable: Readable; push(data: Uint8Array): void; end(message?: string): void } {
  let pushed = 0;
  let returned = 0;
  const giveBack = (): void => {
    const consumed = pushed - readable.readableLength;
    if (consumed > returned) {
      channel.passed(stream, consumed - returned);
      returned = consumed;
    }
  };
  const readable = new Readable({ highWaterMark: OUTPUT_PIECE_BYTES, read: giveBack });
  return {
    readable,
    push(data) {
      pushed += data.byteLength;
      readable.push(data);
      giveBack(); // a flowing reader may have taken it already
    },
    end(message) {
      // Not the guest's output (no credit for it): a refusal or why the instance ended.
      if (message) readable.push(Buffer.from(message));
      readable.push(null);
    },
  };
}

/** Starts a streaming exec; the process's `exited` resolves with its exit code (never rejects). */
export function execStreamInstance(deps: ExecStreamDeps): ExecProcess {
  const channel = new StdioChannel();
  if (!deps.stdin) channel.end();
  const out = creditedOutput(channel, 'stdout');
  const err = creditedOutput(channel, 'stderr');
  const owner: InstanceOwner = {
    onOutput: (stream, data) => (stream === 'stdout' ? out : err).push(data),
    onExecutorLost: () => undefined,
  };
  const abort = new AbortController();
  const finish = (message: string | undefined): void => {
    out.end();
    err.end(message);
  };
  const exited = deps
    .within(() => runExec({ ...deps, stdio: channel, owner, signal: abort.signal }))
    .then(
      (outcome) => {
        const r = toExecResult(outcome); // output streamed already: only its end's message is here
        finish(r.stderr || undefined);
        return r.exitCode;
      },
      (e: unknown) => {
        finish(`${e instanceof Error ? e.message : String(e)}\n`);
        return abort.signal.aborted ? KILLED_EXIT_CODE : 126;
      },
    );
  const stdin = deps.stdin
    ? new Writable({
        // The callback acknowledges the bytes to the hub: only once they are in the ring.
        write: (chunk: Buffer, _enc, cb) => void channel.write(chunk).then(() => cb()),
        final: (cb) => {
          channel.end();
          cb();
        },
      })
    : undefined;
  return {
    stdin,
    stdout: out.readable,
    stderr: err.readable,
    resize: () => undefined,
    kill: () => abort.abort(),
    exited,
  };
}

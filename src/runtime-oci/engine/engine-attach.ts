/**
 * Attaching to a container's main process through the Engine API (kubectl `attach -i/-t`), as the
 * docker CLI does: `POST /containers/{id}/attach?stream=1&stdin=…&stdout=1&stderr=1` on a hijacked
 * connection that carries the container's output from now on (multiplexed stdout/stderr frames, or
 * the terminal's raw bytes when the container has a tty) and, with `stdin`, what the client writes to
 * the container's stdin. Terminal sizes go to `POST /containers/{id}/resize`.
 *
 * The daemon does what runc's attach (runc/runc-attach.ts) does by hand: every attach gets the output,
 * and the container's stdin outlives an attach. Ours:
 * - detaching (`kill`) drops the connection; the container runs on;
 * - the client's stdin ending half-closes the connection only for a `stdinOnce` container (the daemon
 *   then closes the container's stdin); otherwise the attach stays open, as on runc and the kubelet;
 * - a client that went counts as the end of its stdin (the daemon sees the connection drop);
 * - output is read only as fast as the client takes it, so a slow client holds it in the daemon.
 */
import { PassThrough, type Writable } from 'node:stream';
import type { AttachOptions, ExecProcess } from '../../api/index.js';
import type { EngineClient } from './engine-client.js';
import { TerminalSizer, halfClose, pumpOutput, socketStdin } from './engine-hijack-io.js';

/** What the attach needs of the container. */
export interface EngineAttachTarget {
  engineId: string;
  /** It was created with `Tty`: output is one raw stream and resizes apply. */
  tty: boolean;
  /** It was created with `StdinOnce`: the end of an attach's stdin closes the container's. */
  stdinOnce: boolean;
  /** Resolves with the container's exit code once the adapter recorded its exit. */
  exitCode: Promise<number>;
}

/** Joins the running container's main process. Throws EngineError when the daemon refuses. */
export async function engineAttach(
  client: EngineClient,
  target: EngineAttachTarget,
  opts: AttachOptions,
): Promise<ExecProcess> {
  const query = `stream=1&stdin=${opts.stdin ? 1 : 0}&stdout=1&stderr=1`;
  // No body: the daemon would read it as the container's stdin.
  const hijacked = await client.hijack(`/containers/${target.engineId}/attach?${query}`, undefined);
  const { socket } = hijacked;
  socket.on('error', () => undefined);
  const stdout = new PassThrough();
  const stderr = target.tty ? undefined : new PassThrough();
  let detached = false;
  let halfClosed = false;
  let stdin: Writable | undefined;
  if (opts.stdin)
    stdin = socketStdin(socket, () => {
      if (!target.stdinOnce) return;
      halfClosed = true;
      halfClose(socket);
    });
  const sizer = new TerminalSizer((size) =>
    client.call('POST', `/containers/${target.engineId}/resize`, {
      query: { h: String(size.height), w: String(size.width) },
    }),
  );
  let settle: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (settle = resolve));
  void pumpOutput(hijacked, target.tty, stdout, stderr).then(() => {
    stdout.end();
    stderr?.end();
    socket.destroy();
    // On a terminal the daemon ends the attach (not the container) when its stdin ends; otherwise
    // the output ends with the container, whose exit code follows once the adapter recorded it.
    if (detached || (halfClosed && target.tty)) settle(0);
    else void target.exitCode.then(settle);
  });
  const proc: ExecProcess = {
    stdin,
    stdout,
    stderr,
    resize: (size) => {
      if (target.tty) sizer.resize(size);
    },
    kill: () => {
      if (detached) return;
      detached = true;
      socket.destroy();
      settle(0);
    },
    exited,
  };
  if (target.tty && opts.size) proc.resize(opts.size);
  return proc;
}

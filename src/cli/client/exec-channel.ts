/**
 * The client side of Kubernetes' remote-command WebSocket protocol (`v5.channel.k8s.io`, else
 * `v4.channel.k8s.io`), as kubectl ≥ 1.30 speaks it for `exec -i`/`-t`: each binary message is a
 * channel byte and its data. Out: stdin (0), terminal sizes (4, `{"Width":w,"Height":h}`), and in v5
 * the close of stdin (255, data byte 0) at its end. In: stdout (1), stderr (2), and how the command
 * ended (3, one metav1 Status), after which the hub closes the connection.
 *
 * Bounded both ways: stdin is sent a chunk at a time, each once the socket took the one before;
 * output written to a sink that reports it is full pauses the socket until the sink drains.
 */
import type { WebSocket } from 'ws';
import { BadRequestError } from '../../api/lite.js';
import type { HttpTransport } from './http.js';

/** Sub-protocols offered, most preferred first (kubectl 1.32 offers v5 and its fallbacks). */
const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
/** Largest stdin message (the hub takes at most 64 KiB a message). */
const MAX_STDIN_BYTES = 32 * 1024;

const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** What to run. */
export interface ExecChannelRequest {
  command: readonly string[];
  container?: string | undefined;
  /** Send stdin (`-i`). */
  stdin: boolean;
  /** A terminal in the container (`-t`): stdout carries stderr too. */
  tty: boolean;
}

/** A terminal size in cells. */
export interface TerminalSize {
  width: number;
  height: number;
}

/** Where output goes: a Node writable (bytes, with back-pressure) or any text sink. */
export interface OutputSink {
  write(chunk: string): unknown;
}

/** The local side of the exec. */
export interface ExecChannelIO {
  stdin?: AsyncIterable<Uint8Array | string> | undefined;
  stdout: OutputSink;
  stderr: OutputSink;
  /** Subscribes to terminal sizes (called with the first at once); returns the unsubscribe. */
  sizes?: ((send: (size: TerminalSize) => void) => () => void) | undefined;
  /** Ends the exec (the hub then kills the command). */
  signal?: AbortSignal | undefined;
}

/** A Node stream writes bytes and says when it is full; a plain text sink takes decoded text. */
interface ByteSink {
  write(chunk: Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
}
const isByteSink = (s: OutputSink): s is OutputSink & ByteSink =>
  typeof (s as { once?: unknown }).once === 'function' && typeof (s as { writable?: unknown }).writable === 'boolean';

/** Writes to a sink; resolves when it can take more (at once for text sinks and non-full streams). */
function writer(sink: OutputSink): (chunk: Buffer) => Promise<void> | undefined {
  if (isByteSink(sink))
    return (chunk) => (sink.write(chunk) ? undefined : new Promise((resolve) => sink.once('drain', resolve)));
  const decoder = new TextDecoder();
  return (chunk) => {
    const text = decoder.decode(chunk, { stream: true });
    if (text !== '') sink.write(text);
    return undefined;
  };
}

/** The exit code in a `NonZeroExitCode` Status (client-go reads the `ExitCode` cause). */
function exitCodeOf(status: {
  status?: unknown;
  reason?: unknown;
  message?: unknown;
  details?: { causes?: { reason?: unknown; message?: unknown }[] };
}): number {
  if (status.status === 'Success') return 0;
  if (status.status === 'Failure' && status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (Number.isInteger(code) && code > 0) return code;
  }
  throw new BadRequestError(
    typeof status.message === 'string' && status.message !== ''
      ? status.message
      : 'error stream protocol error: unknown error',
  );
}

/**
 * Runs `req` in pod `namespace/name` over the channel protocol; resolves with the command's exit
 * code (0, or N: kubectl prints `command terminated with exit code N` and exits N); throws the hub's refusal as an EdgeError.
 */
export async function execChannel(
  http: HttpTransport,
  path: string,
  req: ExecChannelRequest,
  io: ExecChannelIO,
): Promise<number> {
  const query = new URLSearchParams();
  for (const c of req.command) query.append('command', c);
  if (req.container !== undefined) query.set('container', req.container);
  if (req.stdin) query.set('stdin', 'true');
  query.set('stdout', 'true');
  // With a terminal, stderr is written to it: there is no separate stream, as the kubelet has it.
  if (!req.tty) query.set('stderr', 'true');
  if (req.tty) query.set('tty', 'true');
  const ws = await http.webSocket(path, query, PROTOCOLS);
  return relay(ws, req, io);
}

function relay(ws: WebSocket, req: ExecChannelRequest, io: ExecChannelIO): Promise<number> {
  const v5 = ws.protocol === PROTOCOLS[0];
  const out = writer(io.stdout);
  const err = writer(io.stderr);
  const send = (channel: number, data: Uint8Array): Promise<void> =>
    new Promise((resolve, reject) => {
      if (ws.readyState !== ws.OPEN) return reject(new Error('the exec connection is closed'));
      const msg = Buffer.allocUnsafe(data.byteLength + 1);
      msg[0] = channel;
      msg.set(data, 1);
      ws.send(msg, { binary: true }, (e) => (e ? reject(e) : resolve()));
    });
  return new Promise<number>((resolve, reject) => {
    let status: number | Error | undefined;
    let unsubscribe: (() => void) | undefined;
    let input: AsyncIterator<Uint8Array | string> | undefined;
    const onAbort = (): void => ws.close(1000);
    io.signal?.addEventListener('abort', onAbort, { once: true });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary || data.length === 0) return;
      const channel = data[0];
      const body = data.subarray(1);
      const full = channel === Channel.stdout ? out(body) : channel === Channel.stderr ? err(body) : undefined;
      if (full) {
        ws.pause();
        void full.then(() => ws.resume());
      }
      if (channel === Channel.error && status === undefined) {
        try {
          status = exitCodeOf(JSON.parse(body.toString('utf8')) as Parameters<typeof exitCodeOf>[0]);
        } catch (e) {
          status = e instanceof Error ? e : new Error(String(e));
        }
      }
    });
    ws.on('error', () => ws.terminate());
    ws.once('close', (code) => {
      unsubscribe?.();
      // Stop reading stdin: a pending read would keep the process alive after the command ended.
      void input?.return?.()?.catch(() => undefined);
      io.signal?.removeEventListener('abort', onAbort);
      if (status instanceof Error) return reject(status);
      if (status !== undefined) return resolve(status);
      if (io.signal?.aborted) return resolve(130);
      // client-go takes a connection closed without a Status as success; only an abnormal close is not.
      if (code === 1000 || code === 1005) return resolve(0);
      reject(new BadRequestError(`the exec connection to the hub broke (WebSocket close ${code})`));
    });
    if (req.tty && io.sizes) {
      unsubscribe = io.sizes((size) => {
        const body = Buffer.from(JSON.stringify({ Width: size.width, Height: size.height }), 'utf8');
        void send(Channel.resize, body).catch(() => undefined);
      });
    }
    if (req.stdin && io.stdin) {
      const it = io.stdin[Symbol.asyncIterator]();
      input = it;
      void (async () => {
        for (;;) {
          const next = await it.next();
          if (next.done) break;
          const chunk = next.value;
          const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
          for (let off = 0; off < bytes.byteLength; off += MAX_STDIN_BYTES)
            await send(Channel.stdin, bytes.subarray(off, off + MAX_STDIN_BYTES));
        }
        // v5 says stdin ended (the command sees EOF); v4 has no way to, as in client-go.
        if (v5) await send(Channel.close, Uint8Array.of(Channel.stdin));
      })().catch(() => undefined);
    }
  });
}

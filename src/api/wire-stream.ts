/**
 * The gateway frames of protocol 4 that carry interactive command streams (kubectl `exec -i/-t`,
 * `cp`, and exec output as it comes): part of the protocol in `wire.ts`, which lists them in
 * `NodeToHub`/`HubToNode`. The hub opens a stream only on a session of protocol 4 or later; to an
 * older node it keeps sending the one-shot `execRequest` (no stdin, no tty, output at the end).
 *
 * One stream is one process in a pod's container:
 * - hub → node: `streamOpen` (what to run, and whether it gets stdin and a tty), `streamInput` (stdin
 *   bytes), `streamResize` (the tty's size), `streamClose` (stdin is at its end), `streamCancel` (the
 *   client went: kill the process), `streamAck` (output bytes the hub has passed on to its client);
 * - node → hub: `streamOutput` (stdout or stderr bytes, as the process writes them), `streamAck`
 *   (stdin bytes the process has taken), `streamExit` (how it ended; the last frame of a stream).
 *
 * Flow control is a credit window per direction: a sender may have at most `STREAM_WINDOW_BYTES` of
 * data sent and not yet acknowledged. The node stops reading the process's output when its credit
 * is spent (the process then blocks on a full pipe, as under a slow terminal) and the hub stops
 * reading its client's socket when its stdin credit is spent, so a slow reader at either end never
 * makes the hub or the node buffer more than a window per stream. A peer that sends past its credit
 * breaks the protocol: its stream is cancelled.
 *
 * Protocol 5 adds port-forward streams (kubectl `port-forward`): `portOpen` opens a TCP connection to
 * a pod's port (for a Wasm pod, an HTTP connection served in-process) in place of a process. The
 * other frames keep their meaning, read as a connection: `streamInput` bytes to the pod,
 * `streamClose` the client's half-close, `streamOutput` (fd 1) bytes from the pod, `streamExit` the
 * connection closed (`exitCode` 0) or could not be made (`error`: refused, no such pod), and
 * `streamCancel` tears it down. A node of protocol 4 is never sent `portOpen`.
 *
 * Protocol 8 adds attach streams (kubectl `attach -i/-t`): `attachOpen` joins the main process of a
 * running container (one started with `stdin`/`tty`) instead of starting one. `streamInput` feeds the
 * container's stdin, `streamResize` its terminal, `streamOutput` carries what it writes from then on,
 * `streamClose` is the client's end of stdin (which closes the container's stdin only with
 * `stdinOnce`), `streamCancel` detaches (the container keeps running) and `streamExit` says the
 * container exited (its exit code) or the attach ended. A node of an older protocol is never sent it.
 */
import { z } from 'zod';
import { Name } from './wire-shapes.js';

/** First protocol version that carries these frames. */
export const STREAM_PROTOCOL_VERSION = 4;
/** First protocol version that carries `portOpen` (port-forward streams). */
export const PORT_FORWARD_PROTOCOL_VERSION = 5;
/** First protocol version that carries `attachOpen` (attach streams). */
export const ATTACH_PROTOCOL_VERSION = 8;
/** Largest data chunk in one frame (client-go writes stdin in 32 KiB reads, too). */
export const STREAM_CHUNK_MAX_BYTES = 32 * 1024;
/** Unacknowledged data bytes a sender may have in flight per stream and direction. */
export const STREAM_WINDOW_BYTES = 256 * 1024;
/** Streams a node serves at once for the hub (each holds a process and two windows). */
export const MAX_STREAMS_PER_NODE = 64;

const StreamId = z.string().min(1).max(64);
const Bytes = z
  .custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'expected binary data' })
  .refine((b) => b.byteLength <= STREAM_CHUNK_MAX_BYTES, { message: `at most ${STREAM_CHUNK_MAX_BYTES} bytes` });
const Dimension = z.number().int().min(0).max(0xffff);
/** A terminal size, in character cells. */
export const TerminalSize = z.strictObject({ width: Dimension, height: Dimension });
export type TerminalSize = z.infer<typeof TerminalSize>;
const Credit = z.number().int().min(1).max(STREAM_WINDOW_BYTES);

// ---- hub → node -------------------------------------------------------------------------------

/** Starts a process in a pod's container; answered by output frames and, last, `streamExit`. */
export const HubStreamOpen = z.strictObject({
  type: z.literal('streamOpen'),
  streamId: StreamId,
  pod: z.strictObject({ namespace: Name, name: Name }),
  container: Name.optional(),
  command: z
    .array(z.string().max(64 * 1024))
    .min(1)
    .max(1024),
  /** The process reads stdin from `streamInput` frames (else its stdin is empty). */
  stdin: z.boolean(),
  /** The process runs on a terminal (its stderr is the terminal too: no `fd: 2` output). */
  tty: z.boolean(),
  /** The terminal's first size (with `tty`). */
  size: TerminalSize.optional(),
});
/** Opens a connection to `port` of a pod (port-forward); answered like a command stream. */
export const HubPortOpen = z.strictObject({
  type: z.literal('portOpen'),
  streamId: StreamId,
  pod: z.strictObject({ namespace: Name, name: Name }),
  port: z.number().int().min(1).max(65_535),
});
/** Attaches to the main process of a pod's running container; answered like a command stream. */
export const HubAttachOpen = z.strictObject({
  type: z.literal('attachOpen'),
  streamId: StreamId,
  pod: z.strictObject({ namespace: Name, name: Name }),
  container: Name.optional(),
  /** The client writes to the container's stdin. */
  stdin: z.boolean(),
  /** The client is a terminal (the container's, which `streamResize` sizes). */
  tty: z.boolean(),
  size: TerminalSize.optional(),
});
export const HubStreamInput = z.strictObject({ type: z.literal('streamInput'), streamId: StreamId, data: Bytes });
export const HubStreamResize = z.strictObject({
  type: z.literal('streamResize'),
  streamId: StreamId,
  size: TerminalSize,
});
/** The client's stdin is at its end: close the process's stdin. */
export const HubStreamClose = z.strictObject({ type: z.literal('streamClose'), streamId: StreamId });
/** The client went (or the hub gives up): kill the process; the node answers with `streamExit`. */
export const HubStreamCancel = z.strictObject({ type: z.literal('streamCancel'), streamId: StreamId });
/** The hub passed `bytes` more of the stream's output on to its client: the node may send that much more. */
export const HubStreamAck = z.strictObject({ type: z.literal('streamAck'), streamId: StreamId, bytes: Credit });

// ---- node → hub -------------------------------------------------------------------------------

/** Output of the process, in the order it wrote it: `fd` 1 is stdout, 2 stderr. */
export const NodeStreamOutput = z.strictObject({
  type: z.literal('streamOutput'),
  streamId: StreamId,
  fd: z.union([z.literal(1), z.literal(2)]),
  data: Bytes,
});
/** The process took `bytes` more of its stdin: the hub may send that much more. */
export const NodeStreamAck = z.strictObject({ type: z.literal('streamAck'), streamId: StreamId, bytes: Credit });
/**
 * How the stream ended, after all its output: `exitCode` when the process ran (a killed one: 128 +
 * the signal), `error` when it could not be run (no such pod or container, a runtime without it).
 */
export const NodeStreamExit = z.strictObject({
  type: z.literal('streamExit'),
  streamId: StreamId,
  exitCode: z.number().int().optional(),
  error: z
    .string()
    .max(64 * 1024)
    .optional(),
});

export type HubStreamFrame =
  | z.infer<typeof HubStreamOpen>
  | z.infer<typeof HubPortOpen>
  | z.infer<typeof HubAttachOpen>
  | z.infer<typeof HubStreamInput>
  | z.infer<typeof HubStreamResize>
  | z.infer<typeof HubStreamClose>
  | z.infer<typeof HubStreamCancel>
  | z.infer<typeof HubStreamAck>;
export type NodeStreamFrame =
  z.infer<typeof NodeStreamOutput> | z.infer<typeof NodeStreamAck> | z.infer<typeof NodeStreamExit>;

/**
 * One direction's credit: what a sender may still send before the receiver acknowledges more. The
 * receiver's side uses `take` to check a peer keeps within the window.
 */
export class StreamCredit {
  readonly #window: number;
  #available: number;

  constructor(window = STREAM_WINDOW_BYTES) {
    this.#window = window;
    this.#available = window;
  }

  /** Bytes that may be sent now. */
  get available(): number {
    return this.#available;
  }

  /** Spends `bytes`; false (and nothing spent) when that is more than is available. */
  take(bytes: number): boolean {
    if (bytes > this.#available) return false;
    this.#available -= bytes;
    return true;
  }

  /** Gives back `bytes` the receiver acknowledged; false (nothing given) when that passes the window: a broken peer. */
  give(bytes: number): boolean {
    if (this.#available + bytes > this.#window) return false;
    this.#available += bytes;
    return true;
  }
}

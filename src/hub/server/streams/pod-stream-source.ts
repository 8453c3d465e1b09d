/**
 * What the channel relay needs of the node gateway for an interactive command: a stream to a process
 * in a pod's container (protocol-4 nodes, `src/api/wire-stream.ts`), with flow control in both
 * directions surfaced as promises.
 */
import type { TerminalSize } from '../../../api/index.js';

/** What to run, and how. */
export interface PodStreamOptions {
  container?: string;
  /** Join the container's main process instead of running `command` (kubectl `attach -i/-t`; protocol 8). */
  attach?: boolean;
  command: string[];
  stdin: boolean;
  tty: boolean;
  size?: TerminalSize;
}

/** How a stream ended: the process's exit code, or why it could not run (or the node went). */
export type PodStreamEnd = { exitCode: number } | { error: string };

/** Where a stream's output goes. */
export interface PodStreamHandlers {
  /**
   * Output of the process, in order; the promise settles once it was passed on, and only then is
   * the node given credit for more (so a slow client slows the process, nothing buffers).
   */
  output(fd: 1 | 2, data: Uint8Array): Promise<void>;
  /** The last call: how it ended. */
  end(end: PodStreamEnd): void;
}

/** The hub's end of an open stream. */
export interface PodStream {
  /** Sends stdin bytes; resolves once the node's window had room for all of them (await before the next). */
  write(data: Uint8Array): Promise<void>;
  /** The client's stdin is at its end. */
  closeStdin(): void;
  resize(size: TerminalSize): void;
  /** Kills the process (the client went); `end` still follows. */
  cancel(): void;
}

/** The node gateway's streams. */
export interface PodStreamSource {
  /**
   * Whether the pod's node speaks streams (protocol 4); false for an older agent, which serves only
   * one-shot exec. Throws as `exec` does when the pod has no connected node.
   */
  streamsSupported(namespace: string, pod: string): boolean;
  /** Opens a stream; throws as `exec` does (no node, too many streams). */
  openStream(namespace: string, pod: string, opts: PodStreamOptions, handlers: PodStreamHandlers): PodStream;
  /**
   * Opens a connection to `port` of the pod on its node (kubectl port-forward; protocol 5): `write`
   * sends bytes to the pod, `closeStdin` half-closes, `output` (fd 1) brings the pod's bytes, `end`
   * says how it ended (`error`: it could not be made). Throws as `openStream` does, and for a node
   * of an older protocol.
   */
  openPortForward?(namespace: string, pod: string, port: number, handlers: PodStreamHandlers): PodStream;
}

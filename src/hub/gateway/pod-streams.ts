/**
 * Command streams open to nodes (protocol 4, `src/api/wire-stream.ts`): each routes the node's
 * output to its handlers and gives the node credit back once the handlers passed it on; stdin goes
 * to the node within the node's window. A node that sends past its window, or whose session
 * closes, ends its streams with an error.
 */
import { STREAM_CHUNK_MAX_BYTES, StreamCredit, type NodeStreamFrame, type TerminalSize } from '../../api/index.js';
import type { PodStream, PodStreamEnd, PodStreamHandlers } from '../server/index.js';
import type { NodeSession } from './session.js';

/** One open stream, as the hub holds it. */
class HubPodStream implements PodStream {
  readonly #outCredit = new StreamCredit();
  readonly #inCredit = new StreamCredit();
  #waiters: (() => void)[] = [];
  #ended = false;

  constructor(
    readonly id: string,
    readonly node: string,
    private readonly session: NodeSession,
    private readonly handlers: PodStreamHandlers,
    private readonly forget: () => void,
  ) {}

  async write(data: Uint8Array): Promise<void> {
    for (let off = 0; off < data.byteLength; off += STREAM_CHUNK_MAX_BYTES) {
      const piece = data.subarray(off, off + STREAM_CHUNK_MAX_BYTES);
      while (!this.#ended && !this.#inCredit.take(piece.byteLength))
        await new Promise<void>((resolve) => this.#waiters.push(resolve));
      if (this.#ended) return;
      this.session.send({ type: 'streamInput', streamId: this.id, data: piece });
    }
  }

  closeStdin(): void {
    if (!this.#ended) this.session.send({ type: 'streamClose', streamId: this.id });
  }

  resize(size: TerminalSize): void {
    if (!this.#ended) this.session.send({ type: 'streamResize', streamId: this.id, size });
  }

  cancel(): void {
    if (!this.#ended) this.session.send({ type: 'streamCancel', streamId: this.id });
  }

  /** A frame of the node about this stream. */
  frame(msg: NodeStreamFrame): void {
    if (this.#ended) return;
    switch (msg.type) {
      case 'streamOutput': {
        const n = msg.data.byteLength;
        if (!this.#outCredit.take(n)) return this.#broken('output past its window');
        void this.handlers.output(msg.fd, msg.data).then(
          () => {
            this.#outCredit.give(n);
            if (!this.#ended) this.session.send({ type: 'streamAck', streamId: this.id, bytes: n });
          },
          // The client is gone: its close cancels the stream.
          () => undefined,
        );
        return;
      }
      case 'streamAck':
        if (!this.#inCredit.give(msg.bytes)) return this.#broken('an ack past the window');
        this.#wake();
        return;
      case 'streamExit':
        this.end(msg.error !== undefined ? { error: msg.error } : { exitCode: msg.exitCode ?? 0 });
        return;
    }
  }

  /** Ends the stream (once): its handlers hear how, its writers stop waiting. */
  end(end: PodStreamEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    this.forget();
    this.#wake();
    this.handlers.end(end);
  }

  #broken(why: string): void {
    this.session.send({ type: 'streamCancel', streamId: this.id });
    this.end({ error: `node ${this.node} broke the stream protocol (${why})` });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

/** The hub's open streams, by id. */
export class PodStreams {
  readonly #streams = new Map<string, HubPodStream>();

  /** Streams open to `node`. */
  countFor(node: string): number {
    let n = 0;
    for (const s of this.#streams.values()) if (s.node === node) n++;
    return n;
  }

  /** Registers a stream the caller is about to open on `session` (the caller sends `streamOpen`). */
  add(id: string, node: string, session: NodeSession, handlers: PodStreamHandlers): PodStream {
    const stream = new HubPodStream(id, node, session, handlers, () => this.#streams.delete(id));
    this.#streams.set(id, stream);
    return stream;
  }

  /** A stream frame from `node`; frames naming another node's stream (or an ended one) are ignored. */
  frame(node: string, msg: NodeStreamFrame): void {
    const stream = this.#streams.get(msg.streamId);
    if (stream?.node === node) stream.frame(msg);
  }

  /** Ends every stream of a node whose session closed. */
  failNode(node: string): void {
    for (const s of [...this.#streams.values()])
      if (s.node === node) s.end({ error: `node ${node} disconnected; the command's stream is lost` });
  }
}

/**
 * An exec relayed between kubectl's channel WebSocket and a command stream on the pod's node
 * (protocol 4): stdin (channel 0), the v5 close of stdin (channel 255), and terminal resizes
 * (channel 4) go to the node; stdout and stderr come back on channels 1 and 2 as the process writes
 * them; how it ended goes out as a Status on channel 3, then a normal close. A client that leaves
 * cancels the stream, which kills the process on the node. An interactive attach (`attach -i/-t`)
 * is relayed the same way, to the container's main process; its cancel only detaches.
 *
 * Memory stays bounded in both directions: output is acknowledged to the node only once the socket
 * took it, and the client's socket is paused while stdin waits for the node's window.
 */
import type { WebSocket } from 'ws';
import { errorMessage, type Logger } from '../../../api/index.js';
import { Channel, closedChannel, decodeFrame, encodeFrame, endStatus, parseResize } from './channel-protocol.js';
import { sendMessage } from './exec-stream.js';
import type { PodStream, PodStreamEnd, PodStreamSource } from './pod-stream-source.js';
import type { AttachStreamPlan, ExecStreamPlan } from './stream-env.js';

/** Client messages taken in before the socket is paused (each at most the server's 64 KiB maxPayload). */
const MAX_QUEUED_MESSAGES = 4;

/** Runs `plan` as a node command stream on `ws` until it ends; never throws. */
export function runCommandStream(
  ws: WebSocket,
  source: PodStreamSource,
  plan: ExecStreamPlan | AttachStreamPlan,
  logger: Logger,
): void {
  const pod = `${plan.namespace}/${plan.name}`;
  let ended = false;
  const finish = (end: PodStreamEnd): void => {
    if (ended) return;
    ended = true;
    void sendMessage(ws, encodeFrame(Channel.error, JSON.stringify(endStatus(end))))
      .then(() => ws.close(1000))
      .catch((err: unknown) => {
        logger.debug({ pod, err: errorMessage(err) }, 'exec stream ended early');
        ws.terminate();
      });
  };
  let stream: PodStream;
  try {
    stream = source.openStream(
      plan.namespace,
      plan.name,
      {
        ...(plan.kind === 'attach' ? { attach: true, command: [] } : { command: plan.command }),
        stdin: plan.stdin,
        tty: plan.tty,
        ...(plan.container !== undefined ? { container: plan.container } : {}),
      },
      {
        output: (fd, data) => {
          if ((fd === 1 && !plan.stdout) || (fd === 2 && !plan.stderr) || ended) return Promise.resolve();
          return sendMessage(ws, encodeFrame(fd, data));
        },
        end: finish,
      },
    );
  } catch (err) {
    finish({ error: errorMessage(err) });
    return;
  }
  ws.once('close', () => {
    if (!ended) stream.cancel();
    ended = true;
  });

  // Client messages are handled one at a time, in order (a close of stdin follows the stdin before it).
  let chain = Promise.resolve();
  let queued = 0;
  ws.on('message', (msg: Buffer) => {
    queued++;
    if (queued >= MAX_QUEUED_MESSAGES && !ws.isPaused) ws.pause();
    chain = chain
      .then(() => clientMessage(stream, msg))
      .catch((err: unknown) => logger.debug({ pod, err: errorMessage(err) }, 'client message failed'))
      .finally(() => {
        queued--;
        if (queued < MAX_QUEUED_MESSAGES && ws.isPaused) ws.resume();
      });
  });
}

/** Handles one message of the client. */
async function clientMessage(stream: PodStream, msg: Buffer): Promise<void> {
  const frame = decodeFrame(msg);
  if (!frame) return;
  if (frame.channel === Channel.stdin) {
    if (frame.data.length > 0) await stream.write(frame.data);
    return;
  }
  if (frame.channel === Channel.resize) {
    const size = parseResize(frame.data);
    if (size) stream.resize(size);
    return;
  }
  if (closedChannel(frame) === Channel.stdin) stream.closeStdin();
}

/**
 * Runs a non-interactive exec over an upgraded channel WebSocket: the command runs on the pod's node
 * (one request, one answer, as `edgectl exec` runs it), its stdout and stderr go out on channels 1
 * and 2 in bounded messages, then how it ended as a Status on channel 3, then a normal close, which
 * is what ends kubectl's readers.
 */
import type { WebSocket } from 'ws';
import { errorMessage, type Logger } from '../../../api/index.js';
import type { PodExecSource } from '../types.js';
import { Channel, encodeFrame, endStatus } from './channel-protocol.js';
import type { ExecStreamPlan } from './stream-env.js';

/** Largest data message sent (client-go reads with a 32 KiB buffer; smaller messages keep memory flat). */
export const MAX_DATA_MESSAGE_BYTES = 32 * 1024;

/** Sends `data` on `channel` in messages of at most MAX_DATA_MESSAGE_BYTES, each after the last is flushed. */
async function sendChannel(ws: WebSocket, channel: number, text: string): Promise<void> {
  const bytes = Buffer.from(text, 'utf8');
  for (let off = 0; off < bytes.length; off += MAX_DATA_MESSAGE_BYTES) {
    await sendMessage(ws, encodeFrame(channel, bytes.subarray(off, off + MAX_DATA_MESSAGE_BYTES)));
  }
}

/** Sends one message once the socket has taken it; rejects when the client is gone. */
export function sendMessage(ws: WebSocket, msg: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (ws.readyState !== ws.OPEN) return reject(new Error('the client closed the connection'));
    ws.send(msg, { binary: true }, (err) => (err ? reject(err) : resolve()));
  });
}

/** Runs `plan` and reports it on `ws`; never throws (a client gone early just ends it). */
export async function runExecStream(
  ws: WebSocket,
  exec: PodExecSource,
  plan: ExecStreamPlan,
  logger: Logger,
): Promise<void> {
  let end: { exitCode: number } | { error: string };
  let out = { stdout: '', stderr: '' };
  try {
    const r = await exec.exec(plan.namespace, plan.name, {
      command: plan.command,
      timeoutSeconds: plan.timeoutSeconds,
      ...(plan.container !== undefined ? { container: plan.container } : {}),
    });
    end = { exitCode: r.exitCode };
    out = { stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    end = { error: errorMessage(err) };
  }
  try {
    if (plan.stdout && out.stdout !== '') await sendChannel(ws, Channel.stdout, out.stdout);
    if (plan.stderr && out.stderr !== '') await sendChannel(ws, Channel.stderr, out.stderr);
    await sendMessage(ws, encodeFrame(Channel.error, JSON.stringify(endStatus(end))));
    ws.close(1000);
  } catch (err) {
    logger.debug({ pod: `${plan.namespace}/${plan.name}`, err: errorMessage(err) }, 'exec stream ended early');
    ws.terminate();
  }
}

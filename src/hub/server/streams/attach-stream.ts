/**
 * A non-interactive attach over an upgraded channel WebSocket: the container's output from now on
 * goes out on channel 1 (the node's log of it, followed from its end: the runtimes write a
 * container's stdout and stderr to that log, so both arrive on stdout). Each message waits for the
 * last to be flushed before the next chunk is read (no buffer grows with a slow client). It ends
 * when the client leaves, or with a Status on channel 3 when the log ends (the pod went).
 */
import type { WebSocket } from 'ws';
import { errorMessage, type Logger } from '../../../api/index.js';
import type { PodLogSource } from '../types.js';
import { Channel, encodeFrame, endStatus } from './channel-protocol.js';
import { MAX_DATA_MESSAGE_BYTES, sendMessage } from './exec-stream.js';
import type { AttachStreamPlan } from './stream-env.js';

/** Runs `plan` on `ws` until either side ends it; never throws. */
export async function runAttachStream(
  ws: WebSocket,
  logs: PodLogSource,
  plan: AttachStreamPlan,
  logger: Logger,
): Promise<void> {
  const abort = new AbortController();
  ws.once('close', () => abort.abort());
  let end: { exitCode: number } | { error: string } = { exitCode: 0 };
  try {
    const opts = { follow: true, tailLines: 0, ...(plan.container !== undefined ? { container: plan.container } : {}) };
    for await (const chunk of logs.stream(plan.namespace, plan.name, opts, abort.signal)) {
      if (!plan.stdout) continue;
      const bytes = Buffer.from(chunk, 'utf8');
      for (let off = 0; off < bytes.length; off += MAX_DATA_MESSAGE_BYTES)
        await sendMessage(ws, encodeFrame(Channel.stdout, bytes.subarray(off, off + MAX_DATA_MESSAGE_BYTES)));
    }
  } catch (err) {
    if (abort.signal.aborted) return;
    end = { error: errorMessage(err) };
  }
  try {
    await sendMessage(ws, encodeFrame(Channel.error, JSON.stringify(endStatus(end))));
    ws.close(1000);
  } catch (err) {
    logger.debug({ pod: `${plan.namespace}/${plan.name}`, err: errorMessage(err) }, 'attach stream ended early');
    ws.terminate();
  } finally {
    abort.abort();
  }
}

/**
 * A container's output through the Engine API: the daemon's multiplexed log stream, followed from
 * the container's start and copied into the container's CRI log file at the pace the file takes it.
 */
import type { CriLogWriter } from '../../platform/index.js';
import { type EngineClient, demux } from './engine-client.js';

/**
 * Copies the container's output (from its start, then as it comes) into its CRI log; throws when the
 * stream fails. A container on a terminal (`tty`) has one raw stream, logged as stdout (as the kubelet does).
 */
export async function followLogs(
  client: EngineClient,
  engineId: string,
  log: CriLogWriter | undefined,
  signal: AbortSignal,
  tty = false,
): Promise<void> {
  const res = await client.open('GET', `/containers/${engineId}/logs`, {
    query: { follow: 'true', stdout: 'true', stderr: 'true' },
    timeoutMs: 0,
    signal,
  });
  const body = pacedByLog(res.body, log);
  if (tty) for await (const chunk of body) log?.write('stdout', Buffer.from(chunk));
  else await demux(body, (stream, data) => log?.write(stream, data));
}

/**
 * The log stream, read no faster than the container's log file takes it: the next chunk is pulled
 * only once the log has room, so a container writing faster than the disk leaves its output in the
 * daemon (TCP backpressure) instead of the agent's heap.
 */
export async function* pacedByLog(
  body: AsyncIterable<Uint8Array>,
  log: Pick<CriLogWriter, 'drained'> | undefined,
): AsyncIterable<Uint8Array> {
  for await (const chunk of body) {
    yield chunk;
    await log?.drained();
  }
}

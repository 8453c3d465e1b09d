/**
 * A container's output through the Engine API: the daemon's multiplexed log stream, followed from
 * the container's start and copied into the container's CRI log file at the pace the file takes it.
 * Lines carry the daemon's time; an adopted container's stream (issue 20) resumes after the last line
 * its log holds: see engine-log-resume.ts.
 */
import type { CriLogWriter } from '../../platform/index.js';
import { type EngineClient, demux } from './engine-client.js';
import { type LogCutoff, resumeFilter, stampedFrame } from './engine-log-resume.js';

/**
 * Copies the container's output (from its start, or after `resume`, then as it comes) into its CRI
 * log; throws when the stream fails. A container on a terminal (`tty`) has one raw stream, logged as
 * stdout (as the kubelet does).
 */
export async function followLogs(
  client: EngineClient,
  engineId: string,
  log: CriLogWriter | undefined,
  signal: AbortSignal,
  tty = false,
  resume?: LogCutoff,
): Promise<void> {
  const query: Record<string, string> = { follow: 'true', stdout: 'true', stderr: 'true' };
  // Each frame stamped by the daemon (a terminal's raw stream has no frames to stamp).
  if (!tty) query.timestamps = 'true';
  // From the second of the log's last line (the daemon's `since` is whole seconds on some versions).
  if (resume) query.since = String(resume.sinceSeconds);
  const fresh = resume ? resumeFilter(resume) : undefined;
  const res = await client.open('GET', `/containers/${engineId}/logs`, { query, timeoutMs: 0, signal });
  const body = pacedByLog(res.body, log);
  if (tty) for await (const chunk of body) log?.write('stdout', Buffer.from(chunk));
  else
    await demux(body, (stream, frame) => {
      const stamped = stampedFrame(frame);
      const data = fresh ? fresh(stamped) : stamped.data;
      if (data) log?.write(stream, data, stamped.at);
    });
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

/**
 * kubectl's port-forward protocol (`portforward.k8s.io`) over a SPDY session, as the kubelet serves
 * it: for each local connection kubectl opens two streams with the same `requestID` and `port`
 * headers, an error stream (`streamType: error`, which it half-closes at once and reads to its end)
 * and a data stream (`streamType: data`, the connection's bytes both ways). Each complete pair
 * becomes one connection to the pod's port on its node (`PodStreamSource.openPortForward`): the
 * client's bytes go to the node within its window, the pod's come back as data frames, each
 * acknowledged to the node once the transport took it. A connection that could not be made (or
 * broke) is reported as text on the error stream, which kubectl prints
 * ("error forwarding port 8080 to pod …"); then both streams are closed.
 */
import { errorMessage, type Logger } from '../../../api/index.js';
import type { PodStream, PodStreamEnd, PodStreamSource } from './pod-stream-source.js';
import { SpdyServerSession, type ByteTransport, type SpdyStream } from './spdy/session.js';
import type { PortForwardStreamPlan } from './stream-env.js';

/** How long the second stream of a pair may take to follow the first (the kubelet's default). */
const PAIR_TIMEOUT_MS = 30_000;

/** One local connection of kubectl's: its two streams. */
interface StreamPair {
  requestId: string;
  port: number;
  error?: SpdyStream;
  data?: SpdyStream;
  timer?: NodeJS.Timeout;
}

/** Serves port-forward on `transport` until it closes; returns the session to feed the client's bytes to. */
export function runPortForward(
  transport: ByteTransport,
  source: PodStreamSource,
  plan: PortForwardStreamPlan,
  logger: Logger,
): SpdyServerSession {
  const pod = `${plan.namespace}/${plan.name}`;
  const pairs = new Map<string, StreamPair>();
  const session = new SpdyServerSession(transport, {
    stream: (s) => {
      const type = s.header('streamtype');
      const port = parsePort(s.header('port'));
      const requestId = s.header('requestid');
      if ((type !== 'error' && type !== 'data') || port === undefined || requestId === undefined) return false;
      let pair = pairs.get(requestId);
      if (!pair) {
        pair = { requestId, port };
        pairs.set(requestId, pair);
        const p = pair;
        p.timer = setTimeout(() => {
          pairs.delete(requestId);
          failPair(p, 'timed out waiting for the second stream of the connection');
        }, PAIR_TIMEOUT_MS);
        p.timer.unref();
      }
      if (pair[type] !== undefined || pair.port !== port) return false;
      pair[type] = s;
      if (pair.error && pair.data) {
        clearTimeout(pair.timer);
        pairs.delete(requestId);
        const ready = pair;
        // After this returns the session queues the stream's SYN_REPLY: the pair starts behind it,
        // so no data (or FIN) of ours reaches kubectl before the reply it waits for.
        queueMicrotask(() => startPair(ready, source, plan, logger));
      }
      return true;
    },
    closed: (reason) => {
      for (const p of pairs.values()) clearTimeout(p.timer);
      pairs.clear();
      logger.debug({ pod, reason }, 'port-forward connection closed');
    },
  });
  return session;
}

/** Connects a complete pair to the pod's port and relays it until either side ends it. */
function startPair(pair: StreamPair, source: PodStreamSource, plan: PortForwardStreamPlan, logger: Logger): void {
  const data = pair.data!;
  const error = pair.error!;
  if (data.isReset || error.isReset) {
    data.reset();
    error.reset();
    return;
  }
  const end = (how: PodStreamEnd): void => {
    if ('error' in how)
      return failPair(
        pair,
        `error forwarding port ${pair.port} to pod ${plan.name}_${plan.namespace}, uid ${plan.uid}: ${how.error}`,
      );
    void data.end();
    void error.end();
  };
  let conn: PodStream;
  try {
    if (!source.openPortForward) throw new Error('this hub cannot forward ports');
    conn = source.openPortForward(plan.namespace, plan.name, pair.port, {
      output: (_fd, bytes) => data.write(bytes),
      end,
    });
  } catch (err) {
    end({ error: errorMessage(err) });
    return;
  }
  // kubectl resets the data stream once it has read our end of it, and every stream when it goes.
  data.onReset(() => conn.cancel());
  void (async () => {
    for (;;) {
      const chunk = await data.read();
      if (chunk === null) break;
      await conn.write(chunk);
    }
    if (!data.isReset) conn.closeStdin();
  })().catch((err: unknown) => {
    logger.debug({ pod: `${plan.namespace}/${plan.name}`, err: errorMessage(err) }, 'port-forward input failed');
    conn.cancel();
  });
}

/** Tells kubectl why a connection failed (its error stream), then closes both streams. */
function failPair(pair: StreamPair, message: string): void {
  const { error, data } = pair;
  const close = (): void => {
    void error?.end();
    void data?.end();
  };
  if (!error) return close();
  error
    .write(Buffer.from(message, 'utf8'))
    .catch(() => undefined)
    .finally(close);
}

/** The `port` header as kubectl sends it: a decimal port 1..65535; undefined otherwise. */
function parsePort(text: string | undefined): number | undefined {
  if (text === undefined || !/^[0-9]{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65_535 ? port : undefined;
}

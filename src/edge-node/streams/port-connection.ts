/**
 * The node's end of a port-forward stream (`portOpen`, protocol 5): a connection to a port of a
 * local pod, shaped as an {@link ExecProcess} so that `NodeStream` relays it with the command
 * streams' flow control (its "stdin" is what the client sends, its "stdout" what the pod answers,
 * its exit the connection's close).
 *
 * - A container's port (its runtime's `tcp` endpoint: the pod's IP, or the node's address for host
 *   networking) is a TCP connection. A port no container declares still reaches a pod with an IP of
 *   its own, as kubelet's port-forward does (it dials inside the pod's network namespace).
 * - A Wasm pod's port (an `in-process` endpoint) has no socket: the bytes are parsed as HTTP/1.1 by
 *   Node's HTTP server on an in-memory connection, and each request goes through the node's own
 *   delivery path (`LocalHttp`: the mesh's body limits, deadline and accounting).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ExecProcess, HubStreamFrame, WorkloadEndpoint } from '../../api/index.js';
import type { PodWorkers } from '../pods/pod-workers.js';
import { duplexPair } from './duplex-pair.js';

type PortOpen = Extract<HubStreamFrame, { type: 'portOpen' }>;

/** How long a connection to a pod's port may take to open. */
const CONNECT_TIMEOUT_MS = 10_000;

/** Serves one HTTP request to a local pod's in-process port (the node's delivery path). */
export type LocalHttp = (
  pod: { namespace: string; name: string },
  port: number,
  req: IncomingMessage,
  res: ServerResponse,
) => Promise<void>;

/** What opening a connection needs. */
export interface PortConnectionDeps {
  workers: Pick<PodWorkers, 'find'>;
  /** Delivery to in-process (Wasm) ports; without it such a port is refused. */
  localHttp?: LocalHttp;
}

/** Opens the connection `msg` asks for; rejects (with what the client is told) when it cannot. */
export async function openPortConnection(deps: PortConnectionDeps, msg: PortOpen): Promise<ExecProcess> {
  const { namespace, name } = msg.pod;
  const worker = deps.workers.find(namespace, name);
  if (!worker) throw new Error(`pod ${namespace}/${name} is not running on this node`);
  const target = worker.localTarget(msg.port);
  let endpoint: WorkloadEndpoint;
  if (target.ok) {
    endpoint = target.runtime.endpoint(target.containerId, target.port);
  } else {
    const ip = target.reason === 'no-port' ? worker.podIP() : undefined;
    if (ip === undefined) throw new Error(target.message);
    endpoint = { kind: 'tcp', host: ip, port: msg.port };
  }
  if (endpoint.kind === 'tcp') return connectTcp(endpoint.host, endpoint.port);
  const localHttp = deps.localHttp;
  if (!localHttp)
    throw new Error(
      `port ${msg.port} of pod ${namespace}/${name} is served in-process, which this node cannot forward to`,
    );
  return serveHttp((req, res) => localHttp(msg.pod, msg.port, req, res));
}

/** A TCP connection to `host:port`, once it is open. */
function connectTcp(host: string, port: number): Promise<ExecProcess> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy(new Error(`connect ${host}:${port}: timed out`)));
    const failed = (err: Error): void => reject(err);
    socket.once('error', failed);
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.off('error', failed);
      resolve(asProcess(socket, () => socket.destroy()));
    });
  });
}

/** An in-memory connection whose far end Node's HTTP server reads requests from. */
function serveHttp(handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<ExecProcess> {
  const [ours, theirs] = duplexPair();
  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });
  server.on('clientError', (_err, socket: Duplex) => socket.destroy());
  // A client that half-closes after its last request (as `nc` does) still gets its answers: Node's
  // server ends the connection after the last response instead of dropping the requests in flight.
  Object.assign(server, { httpAllowHalfOpen: true });
  server.emit('connection', theirs);
  return Promise.resolve(
    asProcess(ours, () => {
      ours.destroy();
      theirs.destroy();
    }),
  );
}

/**
 * A connection as a process: what the client sends is its stdin, what the pod sends its stdout; it
 * "exits" (0) once closed. The pod's end of its side closes the whole connection, as kubelet's
 * port-forward does (kubectl then ends the local connection; the client's half-close is passed on).
 */
function asProcess(conn: Duplex, kill: () => void): ExecProcess {
  const exited = new Promise<number>((resolve) => conn.once('close', () => resolve(0)));
  // Errors (a reset) close the connection; 'close' above says so.
  conn.on('error', () => undefined);
  conn.once('end', () => conn.end());
  return { stdin: conn, stdout: conn, stderr: undefined, resize: () => undefined, kill, exited };
}

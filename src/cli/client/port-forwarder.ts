/**
 * kubectl's port forwarder (client-go `tools/portforward`) over a SPDY client session: listens on
 * each local port and address, and for each local connection opens the pair kubectl opens — an error
 * stream (`streamType: error`, half-closed at once, read to its end) and a data stream (`streamType:
 * data`, the connection's bytes both ways), both with the remote `port` and one `requestID`. The
 * output lines are kubectl's ("Forwarding from 127.0.0.1:8080 -> 80", "Handling connection for
 * 8080"). Text on an error stream (the pod's port refused, the connection broke) ends the whole
 * forward, as in kubectl ≥ 1.29: the session closes and `forward` rejects with LostConnectionError.
 */
import { isIP, createServer, type Server, type Socket } from 'node:net';
import { EdgeError, StatusReason } from '../../api/lite.js';
import type { SpdyClientSession, SpdyClientStream } from './spdy-client.js';

/** A local port and the pod's port it forwards to (local 0: one the kernel picks). */
export interface ForwardedPort {
  local: number;
  remote: number;
}

/** An address to listen on, and whether its failure alone fails the port (kubectl's failure modes). */
export interface ListenAddress {
  address: string;
  family: 4 | 6;
  /** `all`: fails only when every `all` address failed (localhost's two); `any`: fails on its own. */
  failureMode: 'all' | 'any';
}

/** The connection to the pod (the hub's stream) went: kubectl's `ErrLostConnectionToPod`. */
export class LostConnectionError extends EdgeError {
  constructor() {
    super(StatusReason.InternalError, 500, 'lost connection to pod');
  }
}

/** A bad `--address` or port, worded as client-go words it. */
export class ForwardSpecError extends EdgeError {
  constructor(message: string) {
    super(StatusReason.BadRequest, 400, message);
  }
}

/** `--address` values (`localhost` or IPs) as listen addresses, sorted as client-go sorts them. */
export function parseAddresses(values: readonly string[]): ListenAddress[] {
  if (values.length === 0) throw new ForwardSpecError('you must specify at least 1 address');
  const parsed = new Map<string, ListenAddress>();
  for (const v of values) {
    if (v === 'localhost') {
      if (!parsed.has('127.0.0.1')) parsed.set('127.0.0.1', { address: '127.0.0.1', family: 4, failureMode: 'all' });
      if (!parsed.has('::1')) parsed.set('::1', { address: '::1', family: 6, failureMode: 'all' });
    } else if (isIP(v) === 4) parsed.set(v, { address: v, family: 4, failureMode: 'any' });
    else if (isIP(v) === 6) parsed.set(v, { address: v, family: 6, failureMode: 'any' });
    else throw new ForwardSpecError(`${v} is not a valid IP`);
  }
  return [...parsed.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

/** Go's `strconv.ParseUint(s, 10, 16)` error text for `s`, or the number. */
function parsePortNumber(s: string): number | string {
  if (!/^[0-9]+$/.test(s)) return `strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`;
  const n = Number(s);
  return n > 65_535 ? `strconv.ParseUint: parsing ${JSON.stringify(s)}: value out of range` : n;
}

/** `[LOCAL:]REMOTE` specs (numbers; named ports resolved before) as client-go parses them. */
export function parsePorts(specs: readonly string[]): ForwardedPort[] {
  if (specs.length === 0) throw new ForwardSpecError('you must specify at least 1 port');
  return specs.map((spec) => {
    const parts = spec.split(':');
    if (parts.length > 2) throw new ForwardSpecError(`invalid port format '${spec}'`);
    const localText = parts.length === 1 ? parts[0]! : parts[0] === '' ? '0' : parts[0]!;
    const remoteText = parts.length === 1 ? parts[0]! : parts[1]!;
    const local = parsePortNumber(localText);
    if (typeof local === 'string') throw new ForwardSpecError(`error parsing local port '${localText}': ${local}`);
    const remote = parsePortNumber(remoteText);
    if (typeof remote === 'string') throw new ForwardSpecError(`error parsing remote port '${remoteText}': ${remote}`);
    if (remote === 0) throw new ForwardSpecError('remote port must be > 0');
    return { local, remote };
  });
}

/** What the forwarder writes (kubectl's stdout and stderr lines). */
export interface ForwardOutput {
  out(text: string): void;
  err(text: string): void;
}

/** `host:port` as Go's `net.JoinHostPort` writes it (IPv6 in brackets). */
const joinHostPort = (host: string, port: number): string =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

/**
 * Forwards `ports` on `addresses` over `session` until `signal` aborts (resolves) or the connection
 * to the pod goes (rejects with LostConnectionError). `ready` is called once every listener is up.
 */
export async function forward(
  session: SpdyClientSession,
  addresses: readonly ListenAddress[],
  ports: ForwardedPort[],
  io: ForwardOutput,
  signal: AbortSignal,
  ready?: (ports: readonly ForwardedPort[]) => void,
): Promise<void> {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  let requestId = 0;
  const handle = (socket: Socket, port: ForwardedPort): void => {
    io.out(`Handling connection for ${port.local}\n`);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    handleConnection(session, socket, port, requestId++, io);
  };
  try {
    let anyPort = false;
    for (const port of ports) {
      const failures: string[] = [];
      const ok = { all: 0, any: 0 };
      const failed = { all: 0, any: 0 };
      for (const a of addresses) {
        try {
          const server = await listen(a, port, (s) => handle(s, port));
          servers.push(server);
          const bound = server.address();
          // A kernel-picked port is the port for the other addresses too, as client-go does.
          if (bound && typeof bound === 'object') port.local = bound.port;
          io.out(`Forwarding from ${joinHostPort(a.address, port.local)} -> ${port.remote}\n`);
          ok[a.failureMode]++;
        } catch (err) {
          failures.push(
            `unable to create listener: Error listen tcp${a.family} ${joinHostPort(a.address, port.local)}: ${bindError(err)}`,
          );
          failed[a.failureMode]++;
        }
      }
      if ((ok.all === 0 && failed.all > 0) || failed.any > 0)
        io.err(
          `Unable to listen on port ${port.local}: Listeners failed to create with the following errors: [${failures.join(' ')}]\n`,
        );
      else anyPort = true;
    }
    if (!anyPort)
      throw new ForwardSpecError(
        `unable to listen on any of the requested ports: [${ports.map((p) => `{${p.local} ${p.remote}}`).join(' ')}]`,
      );
    ready?.(ports);
    await new Promise<void>((resolve, reject) => {
      if (signal.aborted) return resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
      session.onClose(() => (signal.aborted ? resolve() : reject(new LostConnectionError())));
    });
  } finally {
    for (const s of servers) s.close();
    for (const s of sockets) s.destroy();
    session.close();
  }
}

/** Go's wording of the common bind failures. */
function bindError(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === 'EADDRINUSE') return 'bind: address already in use';
  if (code === 'EACCES') return 'bind: permission denied';
  if (code === 'EADDRNOTAVAIL') return 'bind: cannot assign requested address';
  return err instanceof Error ? err.message : String(err);
}

function listen(a: ListenAddress, port: ForwardedPort, onConnection: (s: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, onConnection);
    server.once('error', reject);
    server.listen({ host: a.address, port: port.local, ipv6Only: a.family === 6, exclusive: true }, () => {
      server.off('error', reject);
      server.on('error', () => undefined);
      resolve(server);
    });
  });
}

/** One local connection: its error and data streams, relayed until either side ends. */
function handleConnection(
  session: SpdyClientSession,
  socket: Socket,
  port: ForwardedPort,
  requestId: number,
  io: ForwardOutput,
): void {
  const headers = { streamtype: 'error', port: String(port.remote), requestid: String(requestId) };
  let message = '';
  let errorDone: () => void = () => undefined;
  const errorRead = new Promise<void>((resolve) => (errorDone = resolve));
  let errorStream: SpdyClientStream;
  let dataStream: SpdyClientStream;
  try {
    errorStream = session.createStream(headers, {
      data: (c) => (message += c.toString('utf8')),
      end: () => errorDone(),
      reset: () => errorDone(),
    });
    // Nothing is written on the error stream.
    void errorStream.end();
    let paused = false;
    dataStream = session.createStream(
      { ...headers, streamtype: 'data' },
      {
        data: (c) => {
          if (!socket.write(c) && !paused) {
            paused = true;
            session.pauseInbound();
            socket.once('drain', () => {
              paused = false;
              session.resumeInbound();
            });
          }
        },
        end: () => remoteDone(),
        reset: () => remoteDone(),
      },
    );
    socket.once('close', () => {
      if (paused) {
        paused = false;
        session.resumeInbound();
      }
    });
  } catch {
    socket.destroy();
    return;
  }
  let finished = false;
  function remoteDone(): void {
    if (finished) return;
    finished = true;
    socket.end();
    // Whatever is still in flight is dropped, then the error stream says why it ended, if it did.
    dataStream.reset();
    void errorRead.then(() => {
      socket.destroy();
      if (message === '') return;
      io.err(`an error occurred forwarding ${port.local} -> ${port.remote}: ${message}\n`);
      session.close(message);
    });
  }
  // Local bytes to the pod, one chunk at a time: a write resolves once the hub's socket took it.
  let writing: Promise<void> = Promise.resolve();
  socket.on('data', (chunk: Buffer) => {
    socket.pause();
    writing = dataStream.write(chunk).then(
      () => void socket.resume(),
      () => void socket.destroy(),
    );
  });
  // The local side half-closed (held open: allowHalfOpen): FIN after the last chunk went out.
  socket.once('end', () => void writing.then(() => dataStream.end()));
  socket.on('error', () => {
    socket.destroy();
    remoteDone();
  });
  socket.resume();
}

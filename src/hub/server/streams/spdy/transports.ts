/**
 * The two byte pipes kubectl runs SPDY over: the upgraded HTTP connection itself (`Upgrade:
 * SPDY/3.1`), or a WebSocket whose binary messages carry the bytes (client-go's tunnelling
 * connection: message boundaries mean nothing, a normal close is the end of the stream). Each feeds
 * a session the client's bytes and tells it when the pipe closed.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ByteTransport, SpdyServerSession } from './session.js';

/** How long a closing WebSocket may wait for the client's close before it is cut. */
const CLOSE_GRACE_MS = 5000;

/** Runs `open(transport)`'s session over an upgraded socket (`head`: bytes read past the request). */
export function runOverSocket(
  socket: Duplex,
  head: Buffer,
  open: (transport: ByteTransport) => SpdyServerSession,
): SpdyServerSession {
  const transport: ByteTransport = {
    write: (data) =>
      new Promise((resolve, reject) => {
        if (socket.destroyed || !socket.writable) return reject(new Error('the client closed the connection'));
        socket.write(data, (err) => (err ? reject(err) : resolve()));
      }),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    end: () => {
      socket.end();
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    },
  };
  const session = open(transport);
  socket.on('data', (chunk: Buffer) => session.receive(chunk));
  socket.on('error', () => socket.destroy());
  // The client's end of the connection (or a reset) ends the session and every stream on it.
  socket.once('end', () => socket.destroy());
  socket.once('close', () => session.transportClosed());
  if (head.length > 0) session.receive(head);
  return session;
}

/** Runs `open(transport)`'s session over a WebSocket that tunnels SPDY in binary messages. */
export function runOverWebSocket(
  ws: WebSocket,
  open: (transport: ByteTransport) => SpdyServerSession,
): SpdyServerSession {
  const transport: ByteTransport = {
    write: (data) =>
      new Promise((resolve, reject) => {
        if (ws.readyState !== ws.OPEN) return reject(new Error('the client closed the connection'));
        ws.send(data, { binary: true }, (err) => (err ? reject(err) : resolve()));
      }),
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    end: () => {
      ws.close(1000);
      setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
    },
  };
  const session = open(transport);
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return ws.close(1003, 'the SPDY tunnel carries binary messages only');
    session.receive(data);
  });
  ws.on('error', () => ws.terminate());
  ws.once('close', () => session.transportClosed());
  return session;
}

/**
 * Joins two relay WebSockets: every binary message of one is sent on the other, as it is (the bytes
 * are the nodes' own TLS session). Flow control per direction: when more than `highWaterBytes` sent to
 * one side are not yet written to its socket, the other side's socket stops being read (TCP then
 * slows its sender) until half of it is written.
 */
import type { RawData, WebSocket } from 'ws';

/** What the pipe reports: bytes moved, and its end. */
export interface RelayPipeEvents {
  bytes(n: number): void;
  closed(): void;
}

/** Moves bytes both ways between `a` and `b` until either closes. */
export function joinSockets(a: WebSocket, b: WebSocket, highWaterBytes: number, events: RelayPipeEvents): void {
  let closed = false;
  const closeBoth = (code: number, reason: string): void => {
    if (closed) return;
    closed = true;
    for (const ws of [a, b]) {
      if (ws.readyState === ws.OPEN) ws.close(code, reason);
      else ws.terminate();
    }
    events.closed();
  };
  forward(a, b, highWaterBytes, events, closeBoth);
  forward(b, a, highWaterBytes, events, closeBoth);
  for (const [ws, other] of [
    [a, b],
    [b, a],
  ] as const) {
    ws.on('close', () => closeBoth(1000, 'the other end closed'));
    ws.on('error', () => {
      other.terminate();
      closeBoth(1011, 'relay error');
    });
  }
  // The dialer's socket was paused until its peer accepted (its first bytes wait in TCP meanwhile).
  a.resume();
  b.resume();
}

function forward(
  from: WebSocket,
  to: WebSocket,
  highWaterBytes: number,
  events: RelayPipeEvents,
  closeBoth: (code: number, reason: string) => void,
): void {
  let unwritten = 0;
  let paused = false;
  from.on('message', (data: RawData, isBinary: boolean) => {
    if (!isBinary) return closeBoth(1003, 'a relayed connection carries binary messages only');
    const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
    unwritten += chunk.length;
    events.bytes(chunk.length);
    to.send(chunk, { binary: true }, () => {
      unwritten -= chunk.length;
      if (paused && unwritten <= highWaterBytes / 2) {
        paused = false;
        from.resume();
      }
    });
    if (!paused && unwritten > highWaterBytes) {
      paused = true;
      from.pause();
    }
  });
}

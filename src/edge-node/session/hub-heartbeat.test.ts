/**
 * The node's heartbeat over a real WebSocket: a `heartbeat` frame every interval, a ping only in an
 * interval in which the hub was not heard from (so an answering hub gets about half as many, a talking
 * hub none), and a hub that answers nothing is left after `missedPongs` silent intervals.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { silentLogger } from '../../platform/index.js';
import { HubHeartbeat } from './hub-heartbeat.js';

const INTERVAL_MS = 100;
const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A hub-like server (`reply`: it answers each heartbeat frame with a frame; `autoPong`: it answers pings). */
async function beating(opts: { autoPong: boolean; reply: boolean }) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: opts.autoPong });
  await new Promise((r) => wss.once('listening', r));
  const seen = { pings: 0, beats: 0 };
  wss.on('connection', (peer) => {
    peer.on('ping', () => seen.pings++);
    peer.on('message', () => {
      seen.beats++;
      if (opts.reply) peer.send('{}');
    });
  });
  const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  await new Promise((r) => ws.once('open', r));
  const heartbeat = new HubHeartbeat(3, silentLogger());
  // As the session wires it: a pong or any frame is the hub heard from.
  ws.on('pong', () => heartbeat.heard());
  ws.on('message', () => heartbeat.heard());
  heartbeat.start(ws, INTERVAL_MS);
  closers.push(() => {
    heartbeat.stop();
    ws.terminate();
    wss.close();
  });
  return { ws, seen, heartbeat };
}

it('pings an answering hub only in the intervals it was not heard from: about every other beat', async () => {
  const { seen, heartbeat } = await beating({ autoPong: true, reply: false });
  await vi.waitFor(() => expect(seen.beats).toBeGreaterThanOrEqual(10), { timeout: 15_000, interval: 20 });
  // Each pong answers one beat's ping and spares the next beat one (exactly half on a quiet machine).
  expect(heartbeat.pings).toBeGreaterThan(0);
  expect(heartbeat.pings).toBeLessThan(seen.beats);
  await vi.waitFor(() => expect(seen.pings).toBe(heartbeat.pings), { timeout: 5000, interval: 20 });
});

it('sends a talking hub no ping after the first beat, and heartbeat frames throughout', async () => {
  const { seen, heartbeat } = await beating({ autoPong: true, reply: true });
  await vi.waitFor(() => expect(seen.beats).toBeGreaterThanOrEqual(10), { timeout: 15_000, interval: 20 });
  // The first beat pings (nothing heard yet); after that every interval brought the hub's frame.
  expect(heartbeat.pings).toBeLessThanOrEqual(2);
});

it('leaves a hub that answers nothing after missedPongs silent intervals, pinging it each beat', async () => {
  const { ws, seen, heartbeat } = await beating({ autoPong: false, reply: false });
  await vi.waitFor(() => expect(ws.readyState).toBe(WebSocket.CLOSED), { timeout: 15_000, interval: 20 });
  // Three silent beats pinged (more if a timer fired late: a stalled beat counts no silence); the
  // next found the silence too long and closed the socket.
  expect(heartbeat.pings).toBeGreaterThanOrEqual(3);
  expect(seen.beats).toBe(heartbeat.pings);
});

it('re-paces to a new interval: the first beat at a random point of it, then one each interval', async () => {
  const { seen, heartbeat, ws } = await beating({ autoPong: true, reply: false });
  await vi.waitFor(() => expect(seen.beats).toBeGreaterThanOrEqual(2), { timeout: 15_000, interval: 20 });
  const slow = 4 * INTERVAL_MS;
  // The phase drawn is 3/4 of the new interval: no beat before it, then beats a whole interval apart.
  const at = Date.now();
  const beatsBefore = seen.beats;
  heartbeat.repace(ws, slow, () => 0.75);
  await vi.waitFor(() => expect(seen.beats).toBe(beatsBefore + 1), { timeout: 15_000, interval: 5 });
  const first = Date.now() - at;
  expect(first).toBeGreaterThanOrEqual(0.75 * slow - 5);
  await vi.waitFor(() => expect(seen.beats).toBe(beatsBefore + 3), { timeout: 15_000, interval: 5 });
  const three = Date.now() - at;
  // Two more beats took two new intervals (4× the old): the old pace is gone.
  expect(three - first).toBeGreaterThanOrEqual(2 * slow - 10);
});

it('ignores a re-pace before it was started (the welcome starts the beat)', async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  let beats = 0;
  wss.on('connection', (peer) => peer.on('message', () => beats++));
  const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  await new Promise((r) => ws.once('open', r));
  closers.push(() => {
    ws.terminate();
    wss.close();
  });
  const heartbeat = new HubHeartbeat(3, silentLogger());
  heartbeat.repace(ws, INTERVAL_MS, () => 0);
  heartbeat.start(ws, 10 * INTERVAL_MS);
  // Had the re-pace armed a timer, beats would come every 100 ms; the started beat waits 1 s.
  await new Promise((r) => setTimeout(r, 3 * INTERVAL_MS)); // a window in which no beat may come
  heartbeat.stop();
  expect(beats).toBe(0);
});

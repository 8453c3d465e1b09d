/**
 * The Engine API log stream is read at the pace of the container's log file: a frame is pulled from
 * the daemon only when the log has room, so a container writing faster than the disk leaves its
 * output in the daemon (TCP backpressure) rather than the agent's heap. Real CriLogWriter onto a
 * FIFO drained slowly (a slow disk), real demux of Engine API frames.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CriLogWriter } from '../../platform/index.js';
import { pacedByLog } from './engine-logs.js';
import { demux } from './engine-client.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'engine-log-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** One multiplexed stdout frame holding `n` numbered lines from `from`. */
function frame(from: number, n: number): Buffer {
  let s = '';
  for (let i = from; i < from + n; i++) s += `${i}\n`;
  const payload = Buffer.from(s);
  const header = Buffer.alloc(8);
  header[0] = 1;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('Engine API log stream', () => {
  it('pulls the next frame only when the log has room: every line kept, pending bounded, none dropped', async () => {
    const logPath = join(dir, '0.log');
    execFileSync('mkfifo', [logPath]);
    let text = '';
    const read = new Promise<void>((resolve, reject) => {
      const fifo = createReadStream(logPath, { highWaterMark: 16 * 1024 });
      fifo.on('data', (d) => {
        text += d.toString();
        fifo.pause();
        setTimeout(() => fifo.resume(), 1);
      });
      fifo.on('end', resolve);
      fifo.on('error', reject);
    });
    const log = await CriLogWriter.open(logPath, undefined, { maxPendingBytes: 256 * 1024 });
    const perFrame = 5000; // ~39 KB a frame
    const frames = 30; // ~1.2 MB in all, far past the bound
    let peakAtPull = 0;
    // eslint-disable-next-line @typescript-eslint/require-await -- an async source or callback without awaits is what the code under test consumes
    async function* daemon(): AsyncIterable<Uint8Array> {
      for (let f = 0; f < frames; f++) {
        peakAtPull = Math.max(peakAtPull, log.pendingBytes);
        yield frame(f * perFrame, perFrame);
      }
    }
    await demux(pacedByLog(daemon(), log), (stream, data) => log.write(stream, data));
    await log.close();
    await read;
    expect(peakAtPull).toBeLessThan(64 * 1024);
    expect(log.droppedLines).toBe(0);
    const lines = text
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ').slice(3).join(' '));
    expect(lines).toHaveLength(frames * perFrame);
    expect(lines.every((l, i) => l === String(i))).toBe(true);
  });
});

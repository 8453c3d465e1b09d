import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CriLogWriter } from './cri-log.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cri-log-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Lines of `n` numbered lines, `from` on, each padded to about `width` bytes. */
function chunk(from: number, n: number, width = 100): Buffer {
  let s = '';
  for (let i = from; i < from + n; i++) s += `${String(i).padStart(8, '0')} ${'y'.repeat(width - 10)}\n`;
  return Buffer.from(s);
}

function bodies(text: string): string[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ').slice(3).join(' '));
}

describe('CriLogWriter backpressure', () => {
  it('asks a fast producer to pause and, when it does, loses nothing and holds little', async () => {
    const path = join(dir, '0.log');
    const log = await CriLogWriter.open(path, undefined, { maxPendingBytes: 256 * 1024 });
    let paused = 0;
    let peak = 0;
    const total = 40_000; // ~4 MB, far past the pending bound
    for (let i = 0; i < total; i += 100) {
      if (!log.write('stdout', chunk(i, 100))) {
        paused++;
        await log.drained();
      }
      peak = Math.max(peak, log.pendingBytes);
    }
    await log.close();
    expect(paused).toBeGreaterThan(0);
    // Never more than the pause mark plus one chunk waits for the disk.
    expect(peak).toBeLessThan(64 * 1024 + 100 * 100);
    expect(log.droppedLines).toBe(0);
    const lines = bodies(await readFile(path, 'utf8'));
    expect(lines).toHaveLength(total);
    expect(lines.every((l, i) => l.startsWith(`${String(i).padStart(8, '0')} `))).toBe(true);
  });

  it('drops past the bound for a producer that cannot wait, counts it and says so in one line', async () => {
    const path = join(dir, '0.log');
    const max = 128 * 1024;
    const log = await CriLogWriter.open(path, undefined, { maxPendingBytes: max });
    let peak = 0;
    const total = 20_000; // ~2 MB in one tick: a Wasm guest's output as it arrives from its executor
    for (let i = 0; i < total; i += 100) {
      log.write('stdout', chunk(i, 100));
      peak = Math.max(peak, log.pendingBytes);
    }
    expect(peak).toBeLessThanOrEqual(max);
    expect(log.droppedLines).toBeGreaterThan(0);
    await log.drained();
    log.write('stdout', Buffer.from('after the flood\n'));
    await log.close();
    const text = await readFile(path, 'utf8');
    const markers = text.split('\n').filter((l) => l.includes('of output dropped'));
    expect(markers).toHaveLength(1);
    expect(markers[0]).toMatch(
      new RegExp(` stderr F \\[edgeplane\\] ${log.droppedLines} lines of output dropped: the log could not keep up$`),
    );
    const kept = bodies(text).filter((l) => /^\d{8} /.test(l));
    // Every line is either in the file, whole and in order, or counted as dropped.
    expect(kept.length + log.droppedLines).toBe(total);
    const numbers = kept.map((l) => Number(l.slice(0, 8)));
    expect(numbers.every((n, i) => i === 0 || n > numbers[i - 1]!)).toBe(true);
    // The marker comes before what was written after the flood.
    expect(text.indexOf('of output dropped')).toBeLessThan(text.indexOf('after the flood'));
  });

  it('keeps the bound across rotations and wakes a paused producer when a rotation ends', async () => {
    const path = join(dir, '0.log');
    const log = await CriLogWriter.open(path, { maxBytes: 200 * 1024, maxFiles: 3 }, { maxPendingBytes: 256 * 1024 });
    const total = 20_000;
    for (let i = 0; i < total; i += 100) {
      if (!log.write('stdout', chunk(i, 100))) await log.drained();
    }
    await log.close();
    expect(log.droppedLines).toBe(0);
    const live = bodies(await readFile(path, 'utf8'));
    // The live file ends with the last line written.
    expect(live.at(-1)?.startsWith(String(total - 1).padStart(8, '0'))).toBe(true);
  });

  it('lets a paused producer go when the writer is closed', async () => {
    const log = await CriLogWriter.open(join(dir, '0.log'));
    let full = false;
    for (let i = 0; i < 10_000 && !full; i += 100) full = !log.write('stderr', chunk(i, 100));
    expect(full).toBe(true);
    const waiting = log.drained();
    await log.close();
    await expect(waiting).resolves.toBeUndefined();
    expect(log.write('stdout', Buffer.from('late\n'))).toBe(true);
  });
});

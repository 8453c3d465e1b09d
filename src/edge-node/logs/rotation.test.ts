/**
 * Log rotation and bounded reading, on real files: the CRI writer rotates at the size and keeps
 * max-files (the live one included); `logs --tail` reads from the end of a file much larger than what
 * it reads; a follow goes on across rotations of the live file without losing or repeating a line.
 */
import { mkdir, mkdtemp, open, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeToHub } from '../../api/index.js';
import { CriLogWriter, silentLogger } from '../../platform/index.js';
import { containerLogPath } from '../pods/container-config.js';
import { criToText } from './cri.js';
import { LogService } from './log-service.js';
import { tailStart, type ReadCounter } from './log-reader.js';

type LogChunk = Extract<NodeToHub, { type: 'logChunk' }>;

let dir: string;
const pod = { namespace: 'default', name: 'talker', uid: 'uid-talker' };
const chunks: LogChunk[] = [];
const counter: ReadCounter = { bytes: 0 };
let service: LogService;
let seq = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'edge-node-log-rotation-'));
  service = new LogService({
    dataDir: dir,
    pods: {
      find: (ns, name) =>
        ns === pod.namespace && name === pod.name ? { uid: pod.uid, containerNames: () => ['main', 'big'] } : undefined,
      onPodRemoved: () => () => undefined,
    },
    logger: silentLogger(),
    send: (chunk) => {
      chunks.push(chunk);
      return true;
    },
    pollMs: 10,
    readCounter: counter,
  });
});

afterAll(async () => {
  service.stop();
  await rm(dir, { recursive: true, force: true });
});

const logFile = (container: string) => containerLogPath(dir, pod, container, 0);
const text = (id: string) =>
  chunks
    .filter((c) => c.requestId === id)
    .map((c) => c.data)
    .join('');
const done = (id: string) => chunks.some((c) => c.requestId === id && c.done);

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never: ${what}`);
}

function request(extra: { tailLines?: number; follow?: boolean; container?: string }): string {
  const requestId = `r${++seq}`;
  service.handle({
    type: 'logRequest',
    requestId,
    pod: { namespace: pod.namespace, name: pod.name },
    container: extra.container ?? 'main',
    ...extra,
  });
  return requestId;
}

describe('container log rotation', () => {
  it('rotates 0.log at the maximum size into 0.log.<timestamp> files and keeps max-files in all', async () => {
    const file = path.join(dir, 'rotate', '0.log');
    const writer = await CriLogWriter.open(file, { maxBytes: 4096, maxFiles: 3 });
    const written: string[] = [];
    for (let i = 0; i < 500; i++) {
      written.push(`line ${i}`);
      writer.write(i % 2 ? 'stdout' : 'stderr', Buffer.from(`line ${i}\n`));
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 1)); // rotations happen while it writes
    }
    await writer.close();
    const all = await readdir(path.dirname(file));
    expect(all).toHaveLength(3);
    expect(all).toContain('0.log');
    const names = [...all.filter((n) => n !== '0.log').sort(), '0.log'];
    expect(names[0]).toMatch(/^0\.log\.\d{8}-\d{6}(-\d{3})?$/);
    expect(names[1]).toMatch(/^0\.log\.\d{8}-\d{6}(-\d{3})?$/);
    for (const n of names) expect((await stat(path.join(path.dirname(file), n))).size).toBeLessThanOrEqual(4096);
    // Oldest first, the live one last: together, the end of what was written, in order, nothing missing.
    const kept = (
      await Promise.all(
        [names[0]!, names[1]!, names[2]!].map((n) => readFile(path.join(path.dirname(file), n), 'utf8')),
      )
    ).join('');
    const lines = criToText(kept.split('\n').filter(Boolean), false).split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(100);
    expect(lines).toEqual(written.slice(-lines.length));
  });

  it('tails a large file from its end, reading a small part of it', async () => {
    const file = logFile('big');
    await mkdir(path.dirname(file), { recursive: true });
    const line = (i: number) => `2024-01-01T00:00:00.000000000Z stdout F ${'x'.repeat(100)} ${i}\n`;
    const fh = await open(file, 'w');
    const batch: string[] = [];
    for (let i = 0; i < 200_000; i++) {
      batch.push(line(i));
      if (batch.length === 10_000) await fh.write(batch.splice(0).join(''));
    }
    // A long line split by the writer (P, P, F) is one line for --tail.
    await fh.write(
      '2024-01-01T00:00:00Z stdout P long-\n2024-01-01T00:00:00Z stdout P line-\n2024-01-01T00:00:00Z stdout F end\n',
    );
    await fh.write(line(200_000));
    await fh.close();
    const size = (await stat(file)).size;
    expect(size).toBeGreaterThan(20_000_000);
    counter.bytes = 0;
    const id = request({ container: 'big', tailLines: 3 });
    await until(() => done(id), 'tail answered');
    expect(text(id)).toBe(`${'x'.repeat(100)} 199999\nlong-line-end\n${'x'.repeat(100)} 200000\n`);
    expect(counter.bytes).toBeLessThan(200_000); // of a file of more than 20 MB
  });

  it('finds tail starts across chunk boundaries and partial lines', async () => {
    const file = path.join(dir, 'tail-unit.log');
    const lines = ['a F one', 'b P two-', 'c P two-', 'd F two', 'e F three', 'f P four'].map((l) => {
      const [ts, tag, ...rest] = l.split(' ');
      return `${ts} stdout ${tag} ${rest.join(' ')}\n`;
    });
    await writeFile(file, `${lines.join('')}unfinished`);
    const fh = await open(file, 'r');
    try {
      const size = (await stat(file)).size;
      const starts = lines.map((_, i) => lines.slice(0, i).join('').length);
      for (const chunk of [7, 64, 4096]) {
        expect(await tailStart(fh, size, 1, undefined, chunk)).toBe(starts[5]);
        expect(await tailStart(fh, size, 2, undefined, chunk)).toBe(starts[4]);
        expect(await tailStart(fh, size, 3, undefined, chunk)).toBe(starts[1]);
        expect(await tailStart(fh, size, 4, undefined, chunk)).toBe(0);
        expect(await tailStart(fh, size, 99, undefined, chunk)).toBe(0);
        expect(await tailStart(fh, size, 0, undefined, chunk)).toBe(lines.join('').length);
      }
    } finally {
      await fh.close();
    }
  });

  it('follows the live file across rotations, every line once and in order', async () => {
    const writer = await CriLogWriter.open(logFile('main'), { maxBytes: 2048, maxFiles: 2 });
    writer.write('stdout', Buffer.from('before\n'));
    await until(
      () =>
        stat(logFile('main')).then(
          (s) => s.size > 0,
          () => false,
        ),
      'the first line written',
    );
    const id = request({ follow: true });
    await until(() => text(id) === 'before\n', 'first line');
    const expected = ['before'];
    for (let i = 0; i < 300; i++) {
      writer.write('stdout', Buffer.from(`follow ${i}\n`));
      expected.push(`follow ${i}`);
      // The follower keeps up (it reads one rotated file to its end, as the kubelet's does, not several).
      if (i % 20 === 19) await until(() => text(id).endsWith(`follow ${i}\n`), `line ${i}`);
    }
    await until(() => text(id).endsWith('follow 299\n'), 'all lines');
    expect(text(id).split('\n').filter(Boolean)).toEqual(expected);
    const names = await readdir(path.dirname(logFile('main')));
    expect(names.length).toBe(2);
    expect(done(id)).toBe(false);
    service.cancel(id);
    await until(() => done(id), 'follow ended');
    await writer.close();
  });
});

/** The pod-set position on disk (`pod-position-file.ts`): kept and read back, and every bad file ignored with a warning. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_POD_POSITION_CHARS } from '../../api/index.js';
import { MAX_POD_POSITION_FILE_BYTES, POD_POSITION_FILE, PodPositionFile } from './pod-position-file.js';

let dir: string;
let warnings: string[];
const fileOf = (node = 'node-a', delayMs = 10): PodPositionFile =>
  new PodPositionFile({
    dataDir: dir,
    nodeName: node,
    delayMs,
    logger: pino({ level: 'warn' }, { write: (l: string) => void warnings.push(l) }),
  });
const saved = {
  hubProtocol: 10,
  hashes: new Map([
    ['uid-1', 'AAAAAAAAAAAAAAAA'],
    ['uid-2', 'BBBBBBBBBBBBBBBB'],
  ]),
};

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pod-position-file-'));
  warnings = [];
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('PodPositionFile', () => {
  it('writes the latest position once for changes in a row, and reads it back', async () => {
    const f = fileOf('node-a', 60_000);
    let reads = 0;
    for (let i = 0; i < 5; i++)
      f.save(() => {
        reads += 1;
        return saved;
      });
    expect(await fileOf().load()).toBeUndefined(); // nothing yet, and no warning for a missing file
    await f.flush();
    expect(reads).toBe(1);
    expect(JSON.parse(await readFile(f.file, 'utf8'))).toEqual({
      kind: 'PodPosition',
      version: 1,
      node: 'node-a',
      hubProtocol: 10,
      pods: 'uid-1:AAAAAAAAAAAAAAAA,uid-2:BBBBBBBBBBBBBBBB',
    });
    expect(await fileOf().load()).toEqual(saved);
    expect(warnings).toEqual([]);
  });

  it('ignores a torn, foreign, invalid, unreadable or oversized file with a warning naming it', async () => {
    const file = path.join(dir, POD_POSITION_FILE);
    const good = { kind: 'PodPosition', version: 1, node: 'node-a', hubProtocol: 9, pods: 'u:AAAAAAAAAAAAAAAA' };
    const cases: Array<[string, string]> = [
      ['{"kind":"PodPos', 'torn'],
      [JSON.stringify({ ...good, node: 'node-b' }), 'node-b'],
      [JSON.stringify({ ...good, version: 2 }), 'not a pod position'],
      [JSON.stringify({ ...good, pods: 'u:short' }), 'does not read'],
      [JSON.stringify({ ...good, pods: 'x'.repeat(MAX_POD_POSITION_CHARS + 1) }), 'not a pod position'],
      [' '.repeat(MAX_POD_POSITION_FILE_BYTES + 1), `more than ${MAX_POD_POSITION_FILE_BYTES}`],
    ];
    for (const [text, why] of cases) {
      warnings = [];
      await writeFile(file, text);
      expect(await fileOf().load()).toBeUndefined();
      expect(warnings.length).toBe(1);
      expect(warnings[0]).toContain(file);
      expect(warnings[0]).toContain(why);
    }
    await rm(file);
    await writeFile(file, JSON.stringify(good), { mode: 0o000 });
    warnings = [];
    // root reads a 0 mode file: only unreadable when not root.
    const loaded = await fileOf().load();
    if (process.getuid?.() !== 0) expect(warnings[0]).toContain('unreadable');
    else expect(loaded?.hashes.get('u')).toBe('AAAAAAAAAAAAAAAA');
  });
});

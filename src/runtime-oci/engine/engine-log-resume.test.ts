/**
 * Where an adopted Engine API container's log resumes: the cutoff read from a real CRI log file
 * (the live one, or the newest rotated one when a rotation left the live one empty), and the frames
 * of a resumed stream kept or dropped — with dockerd's nanosecond stamps and podman's whole seconds.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatNs, logCutoff, resumeFilter, stampOf, stampedFrame } from './engine-log-resume.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'engine-resume-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ns = (t: string): bigint => stampOf(`${t} `)!.ns;
/** What a resumed stream keeps of `frames` (each `<stamp> <text>`), joined. */
function kept(filter: ReturnType<typeof resumeFilter>, frames: string[]): string {
  return frames.map((f) => filter(stampedFrame(Buffer.from(f)))?.toString() ?? '').join('');
}

describe('Engine API log resume', () => {
  it("reads the daemon's stamps, nanoseconds or whole seconds, in any zone, and writes them as the CRI log does", () => {
    expect(stampedFrame(Buffer.from('2026-12-04T02:40:33.26327905Z hello\n'))).toEqual({
      data: Buffer.from('hello\n'),
      ns: ns('2026-12-04T02:40:33.263279050Z'),
      at: '2026-12-04T02:40:33.263279050Z',
    });
    expect(stampedFrame(Buffer.from('2026-12-04T03:40:33+01:00 x\n')).at).toBe('2026-12-04T02:40:33.000000000Z');
    expect(stampedFrame(Buffer.from('no stamp\n'))).toEqual({ data: Buffer.from('no stamp\n') });
    expect(formatNs(ns('1970-01-01T00:00:01.000000001Z'))).toBe('1970-01-01T00:00:01.000000001Z');
  });

  it('finds the last line of the log and how many full lines end it with that stamp; the rotated file when the live one is empty', async () => {
    const log = join(dir, '0.log');
    await writeFile(
      log,
      [
        '2026-12-04T02:42:08.000000000Z stdout F a',
        '2026-12-04T02:42:09.000000000Z stdout F b',
        '2026-12-04T02:42:09.000000000Z stderr P long-',
        '2026-12-04T02:42:09.000000000Z stderr F line',
        '2026-12-04T02:42:09.000000000Z stdout F c',
        '',
      ].join('\n'),
    );
    expect(await logCutoff(log)).toEqual({ atNs: ns('2026-12-04T02:42:09Z'), written: 3, sinceSeconds: 1796352129 });
    await writeFile(log, '');
    expect(await logCutoff(log)).toBeUndefined();
    await writeFile(`${log}.20261204-024200`, '2026-12-04T02:41:00.5Z stdout F old\n');
    await writeFile(`${log}.20261204-024210`, '2026-12-04T02:42:10.25Z stdout F newer\n');
    expect(await logCutoff(log)).toMatchObject({ atNs: ns('2026-12-04T02:42:10.25Z'), written: 1 });
    expect(await logCutoff(join(dir, 'missing', '0.log'))).toBeUndefined();
  });

  it('keeps what follows the last logged line: stamped after it, or after the lines stamped like it (whole seconds)', () => {
    // dockerd: one line had the last stamp.
    const docker = resumeFilter({ atNs: ns('2026-12-04T02:40:33.2Z'), written: 1, sinceSeconds: 0 });
    expect(
      kept(docker, [
        '2026-12-04T02:40:33.1Z before\n',
        '2026-12-04T02:40:33.2Z logged\n',
        '2026-12-04T02:40:33.3Z new1\n',
        '2026-12-04T02:40:33.2Z new2\n', // once past the cutoff, everything is new
      ]),
    ).toBe('new1\nnew2\n');
    // podman: three lines of the same second were logged; one of them came in two frames.
    const podman = resumeFilter({ atNs: ns('2026-12-04T02:42:09Z'), written: 3, sinceSeconds: 0 });
    expect(
      kept(podman, [
        '2026-12-04T02:42:09Z l1\n',
        '2026-12-04T02:42:09Z l2-',
        '2026-12-04T02:42:09Z end\n',
        '2026-12-04T02:42:09Z l3\nl4\n',
        '2026-12-04T02:42:09Z l5\n',
        '2026-12-04T02:42:10Z l6\n',
      ]),
    ).toBe('l4\nl5\nl6\n');
  });
});

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTar, TarFormatError, type TarEntry } from './tar-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'tar-reader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Archives a small tree with GNU tar in `format` and reads it back, in chunks of `chunk` bytes. */
async function roundTrip(format: string, chunk: number): Promise<Array<TarEntry & { body: string }>> {
  const src = join(dir, `src-${format}`);
  const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(40)}.txt`;
  rmSync(src, { recursive: true, force: true });
  mkdirSync(join(src, long, '..'), { recursive: true });
  writeFileSync(join(src, long), 'long\n');
  writeFileSync(join(src, 'big.bin'), Buffer.alloc(70_000, 7));
  writeFileSync(join(src, 'suid'), 'x');
  chmodSync(join(src, 'suid'), 0o4750);
  symlinkSync(`../${'t'.repeat(120)}`, join(src, 'link'));
  const archive = execFileSync('tar', [
    '-C',
    src,
    `--format=${format}`,
    '--owner=1000',
    '--group=2000',
    '--numeric-owner',
    '-cf',
    '-',
    '.',
  ]);
  const out: Array<TarEntry & { body: string }> = [];
  // eslint-disable-next-line @typescript-eslint/require-await -- an async source or callback without awaits is what the code under test consumes
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < archive.length; i += chunk) yield archive.subarray(i, i + chunk);
  }
  // eslint-disable-next-line @typescript-eslint/require-await -- an async source or callback without awaits is what the code under test consumes
  await readTar(chunks(), async (e) => {
    const rec = { ...e, body: '' };
    out.push(rec);
    const parts: Buffer[] = [];
    return {
      write: (c) => void parts.push(Buffer.from(c)),
      end: () => void (rec.body = Buffer.concat(parts).toString('latin1')),
    };
  });
  return out;
}

describe('readTar', () => {
  for (const format of ['gnu', 'pax'] as const) {
    it(`reads GNU tar's ${format} archives, whatever the chunking`, async () => {
      for (const chunk of [1, 511, 4096, 1 << 20]) {
        const entries = await roundTrip(format, chunk);
        const by = (p: string): (TarEntry & { body: string }) | undefined =>
          entries.find((e) => e.path.replace(/^\.\//, '').replace(/\/$/, '') === p);
        const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(40)}.txt`;
        expect(by(long)).toMatchObject({ type: 'file', body: 'long\n', uid: 1000, gid: 2000 });
        expect(by('big.bin')?.body.length).toBe(70_000);
        expect(by('suid')?.mode).toBe(0o4750);
        expect(by('link')).toMatchObject({ type: 'symlink', linkname: `../${'t'.repeat(120)}` });
        expect(by(`${'d'.repeat(60)}`)?.type).toBe('dir');
      }
    });
  }

  it('refuses something that is not a tar archive, and one cut short', async () => {
    // eslint-disable-next-line @typescript-eslint/require-await -- an async source or callback without awaits is what the code under test consumes
    const junk = (async function* () {
      yield Buffer.alloc(1024, 0x41);
    })();
    // eslint-disable-next-line @typescript-eslint/require-await -- an async source or callback without awaits is what the code under test consumes
    await expect(readTar(junk, async () => undefined)).rejects.toBeInstanceOf(TarFormatError);
    const src = join(dir, 'cut');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'f'), Buffer.alloc(5000, 1));
    const archive = execFileSync('tar', ['-C', src, '-cf', '-', 'f']);
    // eslint-disable-next-line @typescript-eslint/require-await -- an async source or callback without awaits is what the code under test consumes
    const cut = (async function* () {
      yield archive.subarray(0, 2048);
    })();
    // eslint-disable-next-line @typescript-eslint/require-await -- an async source or callback without awaits is what the code under test consumes
    await expect(readTar(cut, async () => undefined)).rejects.toThrow(TarFormatError);
    expect(readFileSync(join(src, 'f')).length).toBe(5000);
  });
});

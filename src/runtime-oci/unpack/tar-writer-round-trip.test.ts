/**
 * The tests' tar writer (test/support/tar.ts, on tar-stream's `pack`) against the project's own reader:
 * every member kind the hostile-layer and image tests craft, and names too long for a ustar header,
 * come back as written. If they did not, those tests would be testing a different archive than they say.
 */
import { describe, expect, it } from 'vitest';
import { tar, type TarMember } from '../../../test/support/tar.js';
import { readTar, type TarEntry } from './tar-reader.js';

async function read(archive: Buffer): Promise<Array<TarEntry & { body: string }>> {
  const out: Array<TarEntry & { body: string }> = [];
  // eslint-disable-next-line @typescript-eslint/require-await -- an async source or callback without awaits is what the code under test consumes
  async function* oneChunk(): AsyncGenerator<Uint8Array> {
    yield archive;
  }
  // eslint-disable-next-line @typescript-eslint/require-await -- an async source or callback without awaits is what the code under test consumes
  await readTar(oneChunk(), async (e) => {
    const rec = { ...e, body: '' };
    out.push(rec);
    const parts: Buffer[] = [];
    return {
      write: (c) => void parts.push(Buffer.from(c)),
      end: () => void (rec.body = Buffer.concat(parts).toString('utf8')),
    };
  });
  return out;
}

describe('the test tar writer', () => {
  it('writes every member kind the tests craft, and the reader reads them back as written', async () => {
    const members: TarMember[] = [
      { path: 'dir', type: 'dir', mode: 0o1777 },
      { path: 'dir/file', data: 'body\n', mode: 0o4755, uid: 1000, gid: 2000 },
      { path: 'dir/empty', data: '' },
      { path: 'dir/no-mode', data: 'x', mode: 0 },
      { path: 'link', type: 'symlink', linkname: 'dir/file' },
      { path: 'hard', type: 'hardlink', linkname: 'dir/file' },
      { path: 'dev/sda', type: 'block', devmajor: 8, devminor: 1, mode: 0o660 },
      { path: 'dev/mem', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
      { path: 'pipe', type: 'fifo', mode: 0o600 },
    ];
    const entries = await read(await tar(members));
    expect(entries.map(({ path, type, mode }) => ({ path, type, mode }))).toEqual([
      { path: 'dir', type: 'dir', mode: 0o1777 },
      { path: 'dir/file', type: 'file', mode: 0o4755 },
      { path: 'dir/empty', type: 'file', mode: 0o644 },
      { path: 'dir/no-mode', type: 'file', mode: 0 },
      { path: 'link', type: 'symlink', mode: 0o644 },
      { path: 'hard', type: 'hardlink', mode: 0o644 },
      { path: 'dev/sda', type: 'block', mode: 0o660 },
      { path: 'dev/mem', type: 'char', mode: 0o666 },
      { path: 'pipe', type: 'fifo', mode: 0o600 },
    ]);
    expect(entries[1]).toMatchObject({ uid: 1000, gid: 2000, size: 5, body: 'body\n' });
    expect(entries[4]!.linkname).toBe('dir/file');
    expect(entries[5]!.linkname).toBe('dir/file');
    expect(entries[6]).toMatchObject({ devmajor: 8, devminor: 1 });
    expect(entries[7]).toMatchObject({ devmajor: 1, devminor: 3 });
  });

  it('carries a 150-character path and a 120-character link name in PAX headers', async () => {
    // One 150-character segment: no `/` to split at, so ustar's prefix field cannot hold it.
    const path = 'p'.repeat(150);
    const linkname = `../${'l'.repeat(117)}`;
    const nested = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(24)}.txt`;
    expect([path.length, linkname.length, nested.length]).toEqual([150, 120, 150]);
    const archive = await tar([
      { path, data: 'long\n' },
      { path: nested, data: 'nested\n' },
      { path: 'sym', type: 'symlink', linkname },
      { path: 'hard', type: 'hardlink', linkname: nested },
      { path: 'q'.repeat(130), type: 'symlink', linkname },
    ]);
    // The first header is a PAX extended header (typeflag `x`), the path's only carrier.
    expect(String.fromCharCode(archive[156]!)).toBe('x');
    // The nested path (which ustar's prefix field could hold) gets one too, after the first member's four
    // blocks (PAX header, PAX records, ustar header, body).
    expect(String.fromCharCode(archive[4 * 512 + 156]!)).toBe('x');
    const entries = await read(archive);
    expect(entries.map(({ path: p, type, linkname: l, body }) => ({ p, type, l, body }))).toEqual([
      { p: path, type: 'file', l: '', body: 'long\n' },
      { p: nested, type: 'file', l: '', body: 'nested\n' },
      { p: 'sym', type: 'symlink', l: linkname, body: '' },
      { p: 'hard', type: 'hardlink', l: nested, body: '' },
      { p: 'q'.repeat(130), type: 'symlink', l: linkname, body: '' },
    ]);
  });

  it('writes the same bytes for the same members (layer digests are stable)', async () => {
    const members: TarMember[] = [
      { path: 'a', data: 'a' },
      { path: 'b', type: 'dir' },
    ];
    expect((await tar(members)).equals(await tar(members))).toBe(true);
  });
});

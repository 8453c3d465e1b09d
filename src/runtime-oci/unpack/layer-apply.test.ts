import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tar, type TarMember } from '../../../test/support/tar.js';
import { applyLayer, cleanPath } from './layer-apply.js';

const dir = mkdtempSync(join(tmpdir(), 'layer-apply-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function apply(members: TarMember[], lowers: string[] = []): Promise<string> {
  const root = join(dir, `l${++n}`);
  mkdirSync(root);
  await applyLayer(
    (async function* () {
      yield await tar(members);
    })(),
    { root, lowers },
  );
  return root;
}

const isWhiteout = (p: string): boolean => {
  const st = lstatSync(p);
  return st.isCharacterDevice() && st.rdev === 0;
};

describe('applyLayer', () => {
  it('resolves paths from the layer root: `..` cannot climb above it', async () => {
    expect(cleanPath('./a//b/')).toBe('a/b');
    expect(cleanPath('/abs/x')).toBe('abs/x');
    expect(cleanPath('a/../../etc')).toBe('etc');
    const root = await apply([{ path: '../../escape', data: 'x' }]);
    expect(readFileSync(join(root, 'escape'), 'utf8')).toBe('x');
    expect(readdirSync(dir).includes('escape')).toBe(false);
  });

  it('never writes through a symlink planted by the layer', async () => {
    await expect(
      apply([
        { path: 'evil', type: 'symlink', linkname: dir },
        { path: 'evil/owned', data: 'x' },
      ]),
    ).rejects.toThrow(/passes through a symlink/);
    expect(readdirSync(dir).includes('owned')).toBe(false);
  });

  it.skipIf(process.getuid?.() !== 0)(
    'turns whiteouts and opaque directories into overlay whiteouts, only for what exists beneath',
    async () => {
      const base = await apply([
        { path: 'etc', type: 'dir' },
        { path: 'etc/gone', data: 'g' },
        { path: 'etc/kept', data: 'k' },
        { path: 'data', type: 'dir' },
        { path: 'data/a', data: 'a' },
        { path: 'data/b', data: 'b' },
      ]);
      const top = await apply(
        [
          { path: 'etc/.wh.gone', data: '' },
          { path: 'etc/.wh.never-existed', data: '' },
          { path: 'data/.wh..wh..opq', data: '' },
          { path: 'data/b', data: 'new b' },
        ],
        [base],
      );
      expect(isWhiteout(join(top, 'etc/gone'))).toBe(true);
      expect(readdirSync(join(top, 'etc')).sort()).toEqual(['gone']);
      expect(isWhiteout(join(top, 'data/a'))).toBe(true);
      expect(readFileSync(join(top, 'data/b'), 'utf8')).toBe('new b');
      // A third layer sees through the whiteouts: an opaque /etc hides only what is still visible.
      const third = await apply([{ path: 'etc/.wh..wh..opq', data: '' }], [top, base]);
      expect(readdirSync(join(third, 'etc'))).toEqual(['kept']);
      expect(isWhiteout(join(third, 'etc/kept'))).toBe(true);
    },
  );

  it.skipIf(process.getuid?.() !== 0)(
    'copies a hard link to a lower layer file, but never one reached through a symlink',
    async () => {
      const base = await apply([
        { path: 'bin', type: 'dir' },
        { path: 'bin/tool', data: 'tool', mode: 0o755 },
        { path: 'host', type: 'symlink', linkname: '/etc' },
      ]);
      const top = await apply([{ path: 'bin/alias', type: 'hardlink', linkname: 'bin/tool' }], [base]);
      expect(readFileSync(join(top, 'bin/alias'), 'utf8')).toBe('tool');
      expect(lstatSync(join(top, 'bin/alias')).mode & 0o777).toBe(0o755);
      await expect(apply([{ path: 'x', type: 'hardlink', linkname: 'host/hostname' }], [base])).rejects.toThrow(
        /not a file of this image/,
      );
    },
  );
});

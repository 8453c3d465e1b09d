/**
 * Crafted layers, one per class of attack an image author has on the node's filesystem, thrown at the
 * real layer applier. Each must be refused (a LayerError naming the entry) or contained, and a scan of
 * the directory around the snapshot roots must find nothing but what was there before.
 */
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { tar, type TarMember } from '../../../test/support/tar.js';
import { applyLayer, LayerError, type ApplyStats } from './layer-apply.js';

const base = mkdtempSync(join(tmpdir(), 'hostile-layers-'));
const victim = join(base, 'victim');
const roots = join(base, 'roots');
afterAll(() => rmSync(base, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

/** Every path under `dir` (lstat, never following links), relative to it, but not under `skip`. */
function scan(dir: string, skip: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const full = join(dir, name);
    out.push(rel);
    if (full !== skip && lstatSync(full).isDirectory()) out.push(...scan(full, skip, rel));
  }
  return out.sort();
}

/** Asserts nothing was written, linked or changed outside the snapshot roots. */
function expectNothingOutside(): void {
  expect(scan(base, roots)).toEqual(['roots', 'victim', 'victim/secret']);
  const st = lstatSync(join(victim, 'secret'));
  expect(st.nlink).toBe(1); // no hard link was made to it from anywhere
  expect(st.mode & 0o7777).toBe(0o644);
  expect(readFileSync(join(victim, 'secret'), 'utf8')).toBe("the node's secret");
}

let n = 0;
async function apply(members: TarMember[], lowers: string[] = []): Promise<{ root: string; stats: ApplyStats }> {
  const root = join(roots, `l${++n}`);
  mkdirSync(root);
  const stats = await applyLayer(
    (async function* () {
      yield await tar(members);
    })(),
    { root, lowers },
  );
  return { root, stats };
}

async function refused(members: TarMember[], why: RegExp, lowers: string[] = []): Promise<void> {
  const err = await apply(members, lowers).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LayerError);
  expect((err as Error).message).toMatch(why);
}

beforeEach(() => {
  rmSync(victim, { recursive: true, force: true });
  mkdirSync(victim, { recursive: true });
  writeFileSync(join(victim, 'secret'), "the node's secret", { mode: 0o644 });
  mkdirSync(roots, { recursive: true });
});

describe('hostile layers', () => {
  it('keeps `../` and absolute entry paths inside the root', async () => {
    const abs = `/tmp/edgeplane-escape-${randomUUID()}`;
    const { root } = await apply([
      { path: '../../../victim/secret', data: 'overwritten' },
      { path: '../escaped', data: 'x' },
      { path: abs, data: 'x' },
      { path: `${victim}/abs-into-victim`, data: 'x' },
    ]);
    expect(existsSync(abs)).toBe(false);
    expect(readFileSync(join(root, 'victim/secret'), 'utf8')).toBe('overwritten');
    expect(readFileSync(join(root, 'escaped'), 'utf8')).toBe('x');
    expect(existsSync(join(root, victim, 'abs-into-victim'))).toBe(true);
    expectNothingOutside();
  });

  it('never writes through a symlink the layer planted, absolute or relative', async () => {
    await refused(
      [
        { path: 'evil', type: 'symlink', linkname: victim },
        { path: 'evil/owned', data: 'x' },
      ],
      /entry "evil\/owned" passes through a symlink \("evil"\)/,
    );
    await refused(
      [
        { path: 'a/b', type: 'symlink', linkname: '../../../victim' },
        { path: 'a/b/owned', data: 'x' },
      ],
      /passes through a symlink/,
    );
    await refused(
      [
        { path: 'evil', type: 'symlink', linkname: victim },
        { path: 'evil/secret', type: 'dir' },
      ],
      /passes through a symlink/,
    );
    // A file entry named like the planted link replaces the link; it is never opened through it.
    const { root } = await apply([
      { path: 'f', type: 'symlink', linkname: join(victim, 'secret') },
      { path: 'f', data: 'mine' },
    ]);
    expect(readFileSync(join(root, 'f'), 'utf8')).toBe('mine');
    expectNothingOutside();
  });

  it('refuses hard links to files outside the image', async () => {
    await refused([{ path: 'x', type: 'hardlink', linkname: '../../victim/secret' }], /not a file of this image/);
    await refused([{ path: 'x', type: 'hardlink', linkname: join(victim, 'secret') }], /not a file of this image/);
    await refused([{ path: 'x', type: 'hardlink', linkname: '/' }], /the target is the root directory/);
    expectNothingOutside();
  });

  it('refuses a hard link whose target passes through a symlink made earlier in the same layer', async () => {
    await refused(
      [
        { path: 's', type: 'symlink', linkname: victim },
        { path: 'x', type: 'hardlink', linkname: 's/secret' },
      ],
      /hard link "x" to "s\/secret": "s\/secret" passes through a symlink \("s"\)/,
    );
    await refused(
      [
        { path: 'd', type: 'dir' },
        { path: 'd/s', type: 'symlink', linkname: '../../../victim' },
        { path: 'x', type: 'hardlink', linkname: 'd/s/secret' },
      ],
      /passes through a symlink/,
    );
    // A hard link to a symlink links the symlink itself, never what it points to.
    const { root } = await apply([
      { path: 's', type: 'symlink', linkname: join(victim, 'secret') },
      { path: 'x', type: 'hardlink', linkname: 's' },
    ]);
    expect(lstatSync(join(root, 'x')).isSymbolicLink()).toBe(true);
    expectNothingOutside();
  });

  it.skipIf(!isRoot)('refuses a hard link to a lower layer file reached through a lower symlink', async () => {
    const { root: lower } = await apply([
      { path: 'host', type: 'symlink', linkname: victim },
      { path: 'bin', type: 'dir' },
      { path: 'bin/tool', data: 'tool', mode: 0o755 },
    ]);
    await refused([{ path: 'x', type: 'hardlink', linkname: 'host/secret' }], /not a file of this image/, [lower]);
    const { root } = await apply([{ path: 'y', type: 'hardlink', linkname: 'bin/tool' }], [lower]);
    expect(readFileSync(join(root, 'y'), 'utf8')).toBe('tool');
    expectNothingOutside();
  });

  it('does not create device nodes or fifos, and says how many it left out', async () => {
    const { root, stats } = await apply([
      { path: 'dev', type: 'dir' },
      { path: 'dev/sda', type: 'block', devmajor: 8, devminor: 0, mode: 0o666 },
      { path: 'dev/mem', type: 'char', devmajor: 1, devminor: 1, mode: 0o666 },
      { path: 'run/fifo', type: 'fifo' },
      { path: 'ok', data: 'x' },
    ]);
    expect(stats.skipped).toBe(3);
    expect(stats.skippedExamples).toEqual(['dev/sda (block)', 'dev/mem (char)', 'run/fifo (fifo)']);
    expect(readdirSync(join(root, 'dev'))).toEqual([]);
    expect(existsSync(join(root, 'run/fifo'))).toBe(false);
    expectNothingOutside();
  });

  it('keeps setuid and setgid bits in the snapshot (the mounts are nosuid, the data dirs 0700)', async () => {
    const { root } = await apply([
      { path: 'bin/su', data: 'x', mode: 0o4755 },
      { path: 'bin/wall', data: 'y', mode: 0o2755, gid: 5 },
    ]);
    expect(lstatSync(join(root, 'bin/su')).mode & 0o7777).toBe(0o4755);
    expect(lstatSync(join(root, 'bin/wall')).mode & 0o7777).toBe(0o2755);
    expectNothingOutside();
  });

  it('refuses malformed whiteouts and whiteouts through a symlink, and caps the entry count', async () => {
    await refused([{ path: 'etc/.wh...', data: '' }], /is not a whiteout of a name/);
    await refused(
      [
        { path: 'evil', type: 'symlink', linkname: victim },
        { path: 'evil/.wh.secret', data: '' },
      ],
      /passes through a symlink/,
    );
    const root = join(roots, `cap${++n}`);
    mkdirSync(root);
    const many = Array.from({ length: 20 }, (_, i): TarMember => ({ path: `f${i}`, data: 'x' }));
    await expect(
      applyLayer(
        (async function* () {
          yield await tar(many);
        })(),
        { root, lowers: [], maxEntries: 10 },
      ),
    ).rejects.toThrow(/more than 10 entries/);
    expectNothingOutside();
  });
});

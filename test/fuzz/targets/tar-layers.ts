/**
 * Fuzz target `tar-layers`: crafted archives (paths with `..`, absolute paths, symlinks and hard
 * links aimed at a victim directory beside the snapshot root, links through links of the same layer,
 * devices, setuid modes, whiteouts), mutations of them (bytes flipped, cut short) and random bytes,
 * thrown at the real layer applier in a temporary directory, over a lower snapshot that itself holds a
 * symlink out. The property: each case is applied or refused with a named error (LayerError,
 * TarFormatError), and nothing outside the case's snapshot root has changed — a scan of the sentinel
 * parent directory finds the same entries, the victim file keeps its content, mode and link count.
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { applyLayer, LayerError } from '../../../src/runtime-oci/unpack/layer-apply.js';
import { TarFormatError } from '../../../src/runtime-oci/unpack/tar-reader.js';
import { tar, type TarMember } from '../../support/tar.js';
import type { FuzzTarget } from '../target.js';

interface Ctx {
  base: string;
  victim: string;
  lower: string;
  cases: string;
  /** Entries of `base` outside `cases/` at setup. */
  before: string[];
  /** An absolute path outside `base` that no case may create. */
  farAway: string;
  n: number;
}

/** Bytes flipped (offset, value) and a cut, applied to a crafted archive once it is written. */
interface Mutation {
  flips: Array<[number, number]>;
  cut: number | null;
}

/**
 * One case's archive: members written by tar-stream in `check` (its writer is asynchronous, and an
 * arbitrary's `map` is not), optionally mutated; or random bytes.
 */
type Archive = { members: TarMember[]; mutation: Mutation | null } | { random: Uint8Array };

interface Case {
  archive: Archive;
  withLower: boolean;
}

const SECRET = 'the node must keep this';

/** Every path under `dir` (never following links), relative to it, not descending into `skip`. */
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

function members(ctx: Ctx): fc.Arbitrary<TarMember[]> {
  const segment = fc.constantFrom(
    '..',
    '.',
    '',
    'a',
    'b',
    'evil',
    's',
    'etc',
    'bin',
    'victim',
    'secret',
    'host',
    '.wh.a',
    '.wh..wh..opq',
    'x'.repeat(120),
  );
  const relPath = fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('/'));
  const target = fc.oneof(
    relPath,
    fc.constantFrom(
      ctx.victim,
      `${ctx.victim}/secret`,
      ctx.base,
      `${ctx.base}/escaped`,
      ctx.farAway,
      '/',
      '/etc',
      '../../victim/secret',
      '../../../..',
      'evil/secret',
      's/secret',
      'host/secret',
      'bin/tool',
      's',
      'evil',
    ),
  );
  const path = fc.oneof({ weight: 3, arbitrary: relPath }, { weight: 1, arbitrary: target });
  const member = fc.record({
    path,
    type: fc.constantFrom<NonNullable<TarMember['type']>>(
      'file',
      'file',
      'dir',
      'symlink',
      'symlink',
      'hardlink',
      'hardlink',
      'char',
      'block',
      'fifo',
    ),
    mode: fc.constantFrom(0o644, 0o755, 0o4755, 0o2755, 0o1777, 0o000, 0o7777),
    data: fc.oneof(
      fc.constant('x'),
      fc.constant(''),
      fc.uint8Array({ maxLength: 700 }).map((a) => Buffer.from(a)),
    ),
    linkname: target,
    devmajor: fc.constantFrom(0, 1, 8),
    devminor: fc.constantFrom(0, 1, 3),
  });
  // The attacks that need two entries in order (a link, then a use of it) are drawn as pairs, so
  // they are frequent rather than left to chance.
  const chain = fc
    .record({
      name: fc.constantFrom('s', 'evil', 'a/s', 'etc', 'host'),
      // Mostly at the victim (the case root is <base>/cases/cN, so ../../victim is <base>/victim).
      to: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(ctx.victim, '../../victim', '../../../victim', 'a/../../../victim') },
        { weight: 1, arbitrary: target },
      ),
      use: fc.constantFrom('file', 'hardlink', 'hardlink', 'dir', 'symlink', 'whiteout', 'opaque'),
      leaf: fc.constantFrom('secret', 'secret', 'secret', 'x', 'passwd', '..'),
    })
    .map(({ name, to, use, leaf }): TarMember[] => {
      const through = `${name}/${leaf}`;
      const second: TarMember =
        use === 'hardlink'
          ? { path: 'h', type: 'hardlink', linkname: through }
          : use === 'dir'
            ? { path: through, type: 'dir' }
            : use === 'symlink'
              ? { path: through, type: 'symlink', linkname: '/' }
              : use === 'whiteout'
                ? { path: `${name}/.wh.${leaf}`, data: '' }
                : use === 'opaque'
                  ? { path: `${name}/.wh..wh..opq`, data: '' }
                  : { path: through, data: 'x' };
      return [{ path: name, type: 'symlink', linkname: to }, second];
    });
  return fc
    .tuple(fc.array(member, { maxLength: 4 }), fc.array(chain, { maxLength: 2 }), fc.array(member, { maxLength: 3 }))
    .map(([before, chains, after]) => [...before, ...chains.flat(), ...after])
    .filter((m) => m.length > 0);
}

/** Mutations: bytes flipped, the archive cut short, or both. */
const mutation: fc.Arbitrary<Mutation> = fc.record({
  flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
  cut: fc.option(fc.nat()),
});

/** `bytes` with `m` applied (a copy). */
function mutate(bytes: Buffer, m: Mutation): Uint8Array {
  const out = Buffer.from(bytes);
  for (const [at, value] of m.flips) if (out.length > 0) out[at % out.length] = value;
  return m.cut === null || out.length === 0 ? out : out.subarray(0, m.cut % out.length);
}

/** The bytes of `archive`. */
async function bytesOf(archive: Archive): Promise<Uint8Array> {
  if ('random' in archive) return archive.random;
  const written = await tar(archive.members);
  return archive.mutation === null ? written : mutate(written, archive.mutation);
}

/** `bytes` as the one-chunk stream `applyLayer` reads (a layer arriving in a single piece). */
function oneChunk(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  const chunks = [bytes][Symbol.iterator]();
  return { [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve(chunks.next()) }) };
}

export const target: FuzzTarget<Ctx, Case> = {
  name: 'tar-layers',

  async setup() {
    const base = mkdtempSync(join(tmpdir(), 'fuzz-tar-layers-'));
    const victim = join(base, 'victim');
    mkdirSync(victim);
    writeFileSync(join(victim, 'secret'), SECRET, { mode: 0o644 });
    const lower = join(base, 'lower');
    mkdirSync(lower);
    await applyLayer(
      oneChunk(
        await tar([
          { path: 'bin/tool', data: 'tool', mode: 0o755 },
          { path: 'host', type: 'symlink', linkname: victim },
          { path: 'etc/passwd', data: 'root:x:0:0::/:/bin/sh\n' },
          { path: 'a', type: 'dir' },
        ]),
      ),
      { root: lower, lowers: [] },
    );
    const cases = join(base, 'cases');
    mkdirSync(cases);
    const farAway = join(tmpdir(), `edgeplane-fuzz-escape-${process.pid}`);
    return { base, victim, lower, cases, before: scan(base, cases), farAway, n: 0 };
  },

  arbitrary(ctx) {
    const crafted = members(ctx);
    return fc.record({
      archive: fc.oneof(
        { weight: 5, arbitrary: crafted.map((m): Archive => ({ members: m, mutation: null })) },
        { weight: 4, arbitrary: fc.record({ members: crafted, mutation }) },
        { weight: 1, arbitrary: fc.record({ random: fc.uint8Array({ maxLength: 2048 }) }) },
      ),
      withLower: fc.boolean(),
    });
  },

  async check(ctx, input) {
    const bytes = await bytesOf(input.archive);
    const root = join(ctx.cases, `c${++ctx.n}`);
    mkdirSync(root);
    try {
      try {
        await applyLayer(oneChunk(bytes), {
          root,
          lowers: input.withLower ? [ctx.lower] : [],
          maxEntries: 64,
        });
      } catch (err) {
        if (!(err instanceof LayerError) && !(err instanceof TarFormatError)) {
          throw new Error(
            `refused without a named error: ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)}`,
            { cause: err },
          );
        }
      }
      const after = scan(ctx.base, root).filter((p) => !p.startsWith(`cases/c${ctx.n}/`));
      const expected = [...ctx.before, `cases/c${ctx.n}`].sort();
      if (after.join('\n') !== expected.join('\n')) {
        const extra = after.filter((p) => !expected.includes(p));
        const missing = expected.filter((p) => !after.includes(p));
        throw new Error(
          `the filesystem around the snapshot root changed: extra ${JSON.stringify(extra)}, missing ${JSON.stringify(missing)}`,
        );
      }
      const st = lstatSync(join(ctx.victim, 'secret'));
      if (
        readFileSync(join(ctx.victim, 'secret'), 'utf8') !== SECRET ||
        st.nlink !== 1 ||
        (st.mode & 0o7777) !== 0o644
      ) {
        throw new Error('the victim file outside the snapshot root was changed or linked');
      }
      if (lstatSync(join(ctx.lower, 'bin/tool')).nlink !== 1)
        throw new Error('a file of the lower snapshot was hard-linked (snapshots must never share inodes)');
      if (existsSync(ctx.farAway)) throw new Error(`an absolute path outside the root was created: ${ctx.farAway}`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },

  teardown(ctx) {
    rmSync(ctx.base, { recursive: true, force: true });
    rmSync(ctx.farAway, { recursive: true, force: true });
    return Promise.resolve();
  },
};

/**
 * One transpiled component on disk (`<transpiled>/<hex>/`): its `meta.json` index, the check that
 * the entry is whole, and the sweep of temporary folders interrupted transpiles leave behind.
 */
import { readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, type Logger } from '../../api/index.js';
import { type FileDigest, fileMismatch } from './cache-verify.js';

/** `meta.json` of a transpiled component. */
export interface Meta {
  version: 2;
  /** Exported interface names. */
  exports: string[];
  /** Core module file names. */
  coreModules: string[];
  /** Every file of the entry but `meta.json`, with what it must be. */
  files: Record<string, FileDigest>;
}

/** A temporary folder this old belongs to no transpile still running. */
const STALE_TEMP_MS = 10 * 60_000;

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isDigest = (v: unknown): v is FileDigest =>
  typeof v === 'object' &&
  v !== null &&
  Number.isSafeInteger((v as FileDigest).size) &&
  /^sha256:[0-9a-f]{64}$/.test(String((v as FileDigest).sha256));
/** File names an entry may hold (no path separators: they are joined to the entry's folder). */
const FILE_NAME = /^[A-Za-z0-9._-]+$/;

/**
 * Reads `dir/meta.json` and checks every file it lists (present, same size, same sha256): the entry's
 * `meta` when whole, else why not (an entry of an older layout, without digests, counts as torn:
 * it cannot be checked).
 */
export async function readVerifiedMeta(dir: string): Promise<{ ok: true; meta: Meta } | { ok: false; why: string }> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8'));
  } catch (err) {
    return { ok: false, why: `meta.json unreadable: ${errorMessage(err)}` };
  }
  const m = doc as Partial<Meta> | null;
  if (
    typeof m !== 'object' ||
    m === null ||
    m.version !== 2 ||
    !isStringArray(m.exports) ||
    !isStringArray(m.coreModules) ||
    typeof m.files !== 'object' ||
    m.files === null
  ) {
    return { ok: false, why: 'meta.json is not a version 2 index' };
  }
  const files = Object.entries(m.files);
  if (!m.coreModules.every((f) => f in m.files!) || !files.some(([name]) => name.endsWith('.mjs')))
    return { ok: false, why: 'meta.json does not list every file' };
  for (const [name, expected] of files) {
    if (!FILE_NAME.test(name) || !isDigest(expected))
      return { ok: false, why: `meta.json has a malformed entry for ${JSON.stringify(name)}` };
    const mismatch = await fileMismatch(join(dir, name), expected);
    if (mismatch) return { ok: false, why: `${name}: ${mismatch}` };
  }
  return { ok: true, meta: m as Meta };
}

/** Removes `.tmp-*` folders under `dir` older than a transpile can take (left by a crash or power cut). */
export async function cleanTemporaries(dir: string, logger: Logger): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return; // not created yet
  }
  const now = Date.now();
  for (const name of names) {
    if (!name.startsWith('.tmp-')) continue;
    const path = join(dir, name);
    try {
      if (now - (await stat(path)).mtimeMs < STALE_TEMP_MS) continue;
      await rm(path, { recursive: true, force: true });
      logger.info({ path }, 'removed the leftovers of an interrupted transpile');
    } catch (err) {
      logger.warn({ path, err: errorMessage(err) }, 'cannot remove the leftovers of an interrupted transpile');
    }
  }
}

/**
 * Reading manifests for `apply -f` / `delete -f`: files, directories (their *.yaml, *.yml, *.json)
 * and `-` (stdin); multi-document YAML with empty documents skipped and `kind: List` flattened.
 * A parse error names the file and the line.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { BadRequestError, errorMessage } from '../../api/index.js';

/** One document of a manifest file. */
export interface Manifest {
  /** The path as the user gave it (or `<stdin>`), for messages. */
  source: string;
  /** Directory relative image paths resolve against (the cwd for stdin). */
  dir: string;
  /** 1-based position of the document in its file (counting empty ones, so `---` can be counted). */
  document: number;
  /** The parsed document, not yet validated. */
  raw: unknown;
}

/** Where manifests come from: the file system relative to `cwd`, and stdin for `-`. */
export interface ManifestSources {
  cwd: string;
  readStdin(): Promise<string>;
  /** `-R`: also read the manifests of subdirectories (in name order, depth first). */
  recursive?: boolean;
}

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Loads every `-f` argument, in order. */
export async function loadManifests(paths: readonly string[], io: ManifestSources): Promise<Manifest[]> {
  const out: Manifest[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push(...parseManifests(await io.readStdin(), '<stdin>', io.cwd));
      continue;
    }
    const abs = resolve(io.cwd, p);
    let isDir: boolean;
    try {
      isDir = (await stat(abs)).isDirectory();
    } catch {
      throw new BadRequestError(`the path "${p}" does not exist`);
    }
    const files = isDir ? await manifestFiles(abs, p, io.recursive === true) : [{ shown: p, abs }];
    if (isDir && files.length === 0)
      throw new BadRequestError(`no manifests (*.yaml, *.yml, *.json) in directory "${p}"`);
    for (const f of files) {
      let text: string;
      try {
        text = await readFile(f.abs, 'utf8');
      } catch (err) {
        throw new BadRequestError(`cannot read "${f.shown}": ${errorMessage(err)}`);
      }
      out.push(...parseManifests(text, f.shown, dirname(f.abs)));
    }
  }
  return out;
}

/** The manifest files of a directory, sorted by name; with `recursive`, those below it too. */
async function manifestFiles(
  abs: string,
  shown: string,
  recursive: boolean,
): Promise<{ shown: string; abs: string }[]> {
  const entries = (await readdir(abs, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  const out: { shown: string; abs: string }[] = [];
  for (const e of entries) {
    if (e.isDirectory()) {
      if (recursive) out.push(...(await manifestFiles(join(abs, e.name), join(shown, e.name), true)));
    } else if (EXTENSIONS.has(extname(e.name).toLowerCase())) {
      out.push({ shown: join(shown, e.name), abs: join(abs, e.name) });
    }
  }
  return out;
}

/** Parses one file's text into its non-empty documents. */
export function parseManifests(text: string, source: string, dir: string): Manifest[] {
  const docs = parseAllDocuments(text);
  // parseAllDocuments returns an EmptyStream for an empty file.
  if (!Array.isArray(docs)) return [];
  const out: Manifest[] = [];
  docs.forEach((doc, i) => {
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0]?.line;
      const msg = (err.message.split('\n')[0] ?? err.message).replace(/ at line \d+, column \d+:?$/, '');
      throw new BadRequestError(`error parsing ${source}: ${line === undefined ? '' : `line ${line}: `}${msg}`);
    }
    const raw: unknown = doc.toJS();
    if (raw === null || raw === undefined) return;
    const items = listItems(raw);
    for (const item of items ?? [raw]) out.push({ source, dir, document: i + 1, raw: item });
  });
  return out;
}

/** The items of a `kind: List` document (kubectl accepts those), else undefined. */
function listItems(raw: unknown): unknown[] | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const r = raw as { kind?: unknown; items?: unknown };
  return typeof r.kind === 'string' && r.kind.endsWith('List') && Array.isArray(r.items)
    ? (r.items as unknown[])
    : undefined;
}

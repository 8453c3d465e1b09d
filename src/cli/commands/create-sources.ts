/**
 * Where `edgectl create configmap|secret` takes keys from, as kubectl does: `--from-literal=k=v`,
 * `--from-file=[key=]path` (a directory: each regular file in it), `--from-env-file=path`
 * (`KEY=VALUE` lines, `#` comments). Files are size-checked before they are read (1 MiB, an object's
 * limit); an error names the flag and file, never a value.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ConfigKey, MAX_CONFIG_OBJECT_BYTES } from '../../api/index.js';
import { UsageError } from '../errors.js';

/** The flags that name sources. */
export interface SourceFlags {
  fromLiteral?: string[];
  fromFile?: string[];
  fromEnvFile?: string[];
}

/** Keys and their bytes, in the order given. */
export type Entries = Map<string, Buffer>;

function checkKey(key: string, from: string): void {
  const r = ConfigKey.safeParse(key);
  if (!r.success)
    throw new UsageError(`${from}: "${key}" is not a valid key name: ${r.error.issues[0]?.message ?? ''}`);
}

function add(entries: Entries, key: string, value: Buffer, from: string): void {
  checkKey(key, from);
  if (entries.has(key))
    throw new UsageError(`${from}: cannot add key "${key}", another key by that name already exists`);
  entries.set(key, value);
}

async function readBounded(path: string, flag: string): Promise<Buffer> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) throw new UsageError(`${flag}: ${path} is not a readable file`);
  if (st.size > MAX_CONFIG_OBJECT_BYTES)
    throw new UsageError(
      `${flag}: ${path} is ${st.size} bytes, more than the ${MAX_CONFIG_OBJECT_BYTES} an object may hold`,
    );
  return readFile(path);
}

/** kubectl's env-file rules: `KEY=VALUE` (value verbatim), `KEY` alone takes the environment's value. */
function parseEnvFile(
  text: string,
  path: string,
  env: Readonly<Record<string, string | undefined>>,
): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line.trimEnd() : line.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key))
      throw new UsageError(`--from-env-file: ${path} line ${i + 1}: "${key}" is not a valid variable name`);
    if (eq >= 0) out.push([key, line.slice(eq + 1)]);
    else if (env[key] !== undefined) out.push([key, env[key]]);
  });
  return out;
}

/** Reads every source of `flags` (paths relative to `cwd`) into key → bytes. */
export async function readSources(
  flags: SourceFlags,
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Entries> {
  const entries: Entries = new Map();
  for (const lit of flags.fromLiteral ?? []) {
    const eq = lit.indexOf('=');
    if (eq <= 0) throw new UsageError('--from-literal: expected key=value', 'edgectl create configmap --help');
    add(entries, lit.slice(0, eq), Buffer.from(lit.slice(eq + 1), 'utf8'), '--from-literal');
  }
  for (const spec of flags.fromFile ?? []) {
    const eq = spec.indexOf('=');
    const key = eq > 0 ? spec.slice(0, eq) : undefined;
    const path = resolve(cwd, eq > 0 ? spec.slice(eq + 1) : spec);
    const st = await stat(path).catch(() => undefined);
    if (st?.isDirectory()) {
      if (key !== undefined) throw new UsageError(`--from-file: cannot give a key name for directory ${path}`);
      for (const name of (await readdir(path)).sort()) {
        const file = join(path, name);
        if ((await stat(file)).isFile() && ConfigKey.safeParse(name).success)
          add(entries, name, await readBounded(file, '--from-file'), '--from-file');
      }
      continue;
    }
    add(entries, key ?? basename(path), await readBounded(path, '--from-file'), '--from-file');
  }
  for (const p of flags.fromEnvFile ?? []) {
    const path = resolve(cwd, p);
    const text = (await readBounded(path, '--from-env-file')).toString('utf8');
    for (const [k, v] of parseEnvFile(text, path, env)) add(entries, k, Buffer.from(v, 'utf8'), '--from-env-file');
  }
  return entries;
}

/** Bytes that are valid UTF-8 text (a ConfigMap keeps them in `data`; others go to `binaryData`). */
export function isUtf8(b: Buffer): boolean {
  return Buffer.from(b.toString('utf8'), 'utf8').equals(b);
}

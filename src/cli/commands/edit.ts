/**
 * `edgectl edit TYPE NAME | TYPE/NAME`: the object as YAML in $KUBE_EDITOR, else $EDITOR, else vi,
 * as kubectl edit does it. What the editor saves (lines starting with '#' dropped) is sent as a JSON
 * merge patch of the differences, so status writes made meanwhile do not conflict. No change:
 * "Edit cancelled, no changes made." An edit that does not parse, or that the hub refuses, reopens
 * the editor with the error as comments above the edited text; saving that unchanged again gives
 * up, keeping a copy of the edit (kubectl's "A copy of your changes has been stored to …").
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parse, stringify } from 'yaml';
import { EdgeError, errorMessage } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { objectRef } from '../printers/index.js';
import { parseResourceArgs } from './resources.js';

const HELP = 'edgectl edit --help';

const HEADER = [
  "# Please edit the object below. Lines beginning with a '#' will be ignored,",
  '# and an empty file will abort the edit. If an error occurs while saving this file will be',
  '# reopened with the relevant failures.',
  '#',
].join('\n');

type Json = unknown;
const isObj = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An RFC 7386 merge patch that turns `from` into `to` (lists are replaced whole, as merge patch does). */
export function mergePatch(from: Json, to: Json): Json {
  if (!isObj(from) || !isObj(to)) return to;
  const patch: Record<string, Json> = {};
  for (const key of Object.keys(from)) if (!(key in to)) patch[key] = null;
  for (const [key, value] of Object.entries(to)) {
    if (!(key in from)) patch[key] = value;
    else if (JSON.stringify(from[key]) !== JSON.stringify(value)) {
      patch[key] = isObj(from[key]) && isObj(value) ? mergePatch(from[key], value) : value;
    }
  }
  return patch;
}

/** Runs the editor on `file` through the shell, as kubectl does (the variable may hold arguments). */
function runEditor(ctx: CliContext, file: string): Promise<void> {
  const editor = ctx.io.env['KUBE_EDITOR'] || ctx.io.env['EDITOR'] || 'vi';
  return new Promise((resolve, reject) => {
    // The file name goes as "$1", never spliced into the command text.
    const p = spawn('/bin/sh', ['-c', `${editor} "$1"`, 'edgectl-edit', file], { stdio: 'inherit' });
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new EdgeError('InternalError', 500, `there was a problem with the editor "${editor}"`)),
    );
  });
}

/** The saved text without its comment lines. */
const withoutComments = (text: string): string =>
  text
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('\n');

/** The reason an edit was refused, as comment lines (kubectl: `# kind "name" was not valid:` and causes). */
function errorComment(noun: string, err: unknown): string {
  const lines =
    err instanceof EdgeError && err.causes.length > 0
      ? [`${noun} was not valid:`, ...err.causes.map((c) => `* ${c.field}: ${c.message}`)]
      : [`${noun} was not valid:`, `* ${errorMessage(err)}`];
  return `${lines.map((l) => `# ${l}`).join('\n')}\n#\n`;
}

/** Runs `edit`. */
export async function runEdit(ctx: CliContext, args: string[]): Promise<void> {
  const requests = parseResourceArgs(args, 'edit');
  const req = requests[0];
  const name = req?.names[0];
  if (!req || name === undefined || requests.length > 1 || req.names.length > 1)
    throw new UsageError('edit takes one object: TYPE NAME or TYPE/NAME', HELP);
  const type = req.type;
  const ns = type.namespaced ? await ctx.namespace() : undefined;
  const client = await ctx.client();
  const original = await client.get(type, ns, name, ctx.signal);
  const shown = { ...original, metadata: { ...original.metadata } };
  delete shown.metadata.managedFields;
  const noun = `${type.group ? `${type.plural}.${type.group}` : type.plural} "${name}"`;
  const dir = await mkdtemp(join(tmpdir(), 'edgectl-edit-'));
  const file = join(dir, `${type.plural}-${name}.yaml`);
  let body = stringify(shown, { indentSeq: false, lineWidth: 0 });
  let error = '';
  let lastSaved: string | undefined;
  try {
    for (;;) {
      await writeFile(file, `${HEADER}\n${error}${body}`, { mode: 0o600 });
      await runEditor(ctx, file);
      const saved = withoutComments(await readFile(file, 'utf8'));
      if (saved.trim() === '') {
        ctx.err('Edit cancelled, no objects found.\n');
        return;
      }
      // Saved again as it was after an error: give up, and keep the user's text.
      if (error !== '' && saved === lastSaved) {
        const copy = join(tmpdir(), `edgectl-edit-${Date.now()}.yaml`);
        await writeFile(copy, saved, { mode: 0o600 });
        ctx.err(`A copy of your changes has been stored to "${copy}"\n`);
        throw new EdgeError('Invalid', 422, 'Edit cancelled, no valid changes were saved.');
      }
      lastSaved = saved;
      body = saved;
      let edited: Json;
      try {
        edited = parse(saved);
      } catch (err) {
        error = errorComment(noun, err);
        continue;
      }
      const patch = mergePatch(shown, edited);
      if (isObj(patch) && Object.keys(patch).length === 0) {
        ctx.err('Edit cancelled, no changes made.\n');
        return;
      }
      try {
        await client.patch(type, ns, name, patch, { patchType: 'merge', signal: ctx.signal });
      } catch (err) {
        if (!(err instanceof EdgeError && (err.code === 'Invalid' || err.code === 'BadRequest'))) throw err;
        error = errorComment(noun, err);
        continue;
      }
      ctx.out(`${objectRef(type, name)} edited\n`);
      return;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Registers `edit`. */
export function registerEdit(program: Command, ctx: CliContext): void {
  program
    .command('edit')
    .description('Edit a resource in $KUBE_EDITOR or $EDITOR (vi by default)')
    .argument('<resources...>', 'TYPE NAME or TYPE/NAME')
    .action(async (args: string[]) => runEdit(ctx, args));
}

/**
 * `edgectl diff -f FILE`: what `apply -f` would change, as kubectl diff shows it. Each object is
 * read live and applied as a server-side dry run (the hub merges it exactly as `apply` would, and
 * stores nothing); both are written as YAML into two temporary directories, LIVE-* and MERGED-*, one
 * file per object named `[group.]version.Kind.namespace.name`, and compared with `diff -u -N` (or
 * the program in KUBECTL_EXTERNAL_DIFF). Exit codes are kubectl's: 0 no differences, 1 differences,
 * more than 1 an error (the diff program's own code when it failed).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { EdgeError, type KubeObject } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { loadManifests, localDigest, rewriteLocalImages, validateManifest } from '../manifests/index.js';
import { EDGECTL_FIELD_MANAGER, collect } from './apply.js';

interface DiffFlags {
  filename?: string[];
  recursive?: boolean;
  fieldManager?: string;
}

const HELP = 'edgectl diff --help';

/** An error of `diff` itself: kubectl exits with more than 1 then. */
export class DiffFailedError extends EdgeError {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super('InternalError', 500, message);
  }
}

/** The object as diff shows it: without managedFields (kubectl's --show-managed-fields=false). */
function shown(obj: KubeObject | undefined): KubeObject | undefined {
  if (!obj) return undefined;
  const metadata = { ...obj.metadata };
  delete metadata.managedFields;
  return { ...obj, metadata };
}

/**
 * Secrets' values hidden as kubectl's masker hides them: `***` where both sides agree, `*** (before)`
 * and `*** (after)` where they differ, so a change shows without its value.
 */
function maskSecrets(live: KubeObject | undefined, merged: KubeObject | undefined): void {
  const data = (o: KubeObject | undefined): Record<string, unknown> | undefined =>
    o?.kind === 'Secret' ? ((o as { data?: Record<string, unknown> }).data ?? undefined) : undefined;
  const before = data(live);
  const after = data(merged);
  for (const key of new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])) {
    const changed = before?.[key] !== undefined && after?.[key] !== undefined && before[key] !== after[key];
    if (before && key in before) before[key] = changed ? '*** (before)' : '***';
    if (after && key in after) after[key] = changed ? '*** (after)' : '***';
  }
}

/** Go's YAML (sigs.k8s.io/yaml): keys in order, sequences not indented under their key. */
const toYaml = (obj: KubeObject): string =>
  // YAML 1.1's schema, as Go's: a string that 1.1 would read as a timestamp or boolean is quoted.
  stringify(obj, { version: '1.1', sortMapEntries: true, indentSeq: false, lineWidth: 0 });

/** The diff program and its arguments: KUBECTL_EXTERNAL_DIFF (kubectl's variable) or `diff -u -N`. */
function diffProgram(env: Readonly<Record<string, string | undefined>>): [string, string[]] {
  const external = env['KUBECTL_EXTERNAL_DIFF']?.trim();
  if (!external) return ['diff', ['-u', '-N']];
  const [cmd = 'diff', ...args] = external.split(/\s+/);
  // As kubectl: only plain words, so the variable cannot smuggle a shell construct.
  for (const a of args)
    if (!/^[a-zA-Z0-9=-]+$/.test(a))
      throw new UsageError(`arguments in KUBECTL_EXTERNAL_DIFF must contain only alphanumeric characters, "=" or "-"`);
  return [cmd, args];
}

/** Runs the diff program over the two directories, its output to ours; resolves with its exit code. */
function runDiff(ctx: CliContext, from: string, to: string): Promise<number> {
  const [cmd, args] = diffProgram(ctx.io.env);
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, [...args, from, to], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.setEncoding('utf8').on('data', (s: string) => ctx.out(s));
    p.stderr.setEncoding('utf8').on('data', (s: string) => ctx.err(s));
    p.on('error', (err) => reject(new Error(`failed to run "${cmd}": ${err.message}`)));
    p.on('close', (code) => resolve(code ?? 2));
  });
}

/** Runs `diff`; returns the exit code (0 same, 1 different). */
export async function runDiffCommand(ctx: CliContext, flags: DiffFlags): Promise<number> {
  const files = flags.filename ?? [];
  if (files.length === 0) throw new UsageError('must specify one of -f or --filename', HELP);
  const conn = await ctx.connection();
  const manifests = await loadManifests(files, {
    cwd: ctx.cwd,
    readStdin: () => ctx.readStdin(),
    recursive: flags.recursive === true,
  });
  const items = manifests.map(validateManifest);
  // Local .wasm images as an apply would write them (their digests hashed here; nothing uploaded).
  await rewriteLocalImages(items, localDigest);
  const client = await ctx.client();
  const live = await mkdtemp(join(tmpdir(), 'LIVE-'));
  const merged = await mkdtemp(join(tmpdir(), 'MERGED-'));
  try {
    for (const { type, object } of items) {
      if (type.namespaced) object.metadata.namespace ??= conn.namespace;
      else delete object.metadata.namespace;
      const ns = object.metadata.namespace;
      const name = object.metadata.name ?? '';
      let before: KubeObject | undefined;
      try {
        before = await client.get(type, ns, name, ctx.signal);
      } catch (err) {
        if (!(err instanceof EdgeError && err.code === 'NotFound')) throw err;
      }
      const after = (
        await client.apply(type, object, {
          fieldManager: flags.fieldManager ?? EDGECTL_FIELD_MANAGER,
          force: true,
          dryRun: true,
          signal: ctx.signal,
        })
      ).object;
      const [a, b] = [shown(before), shown(after)];
      maskSecrets(a, b);
      const file = `${type.group ? `${type.group}.` : ''}${type.version}.${type.kind}.${ns ?? ''}.${name}`;
      // An object that does not exist yet has an empty LIVE file, as kubectl writes it.
      await writeFile(join(live, file), a ? toYaml(a) : '');
      await writeFile(join(merged, file), b ? toYaml(b) : '');
    }
    const code = await runDiff(ctx, live, merged);
    if (code > 1) throw new DiffFailedError(`the diff program exited with ${code}`, code);
    return code;
  } finally {
    await rm(live, { recursive: true, force: true });
    await rm(merged, { recursive: true, force: true });
  }
}

/** Registers `diff`. */
export function registerDiff(program: Command, ctx: CliContext): void {
  program
    .command('diff')
    .description('Diff the live objects against what apply -f would make of them (exit 1 when they differ)')
    .option('-f, --filename <path>', 'manifest file, directory of manifests, or - for stdin (repeatable)', collect)
    .option('-R, --recursive', 'also read the manifests in subdirectories of the -f directories')
    .option('--field-manager <name>', 'the field manager apply would use (default "edgectl")')
    .action(async (flags: DiffFlags) => {
      try {
        const code = await runDiffCommand(ctx, flags);
        if (code !== 0) ctx.exitCode = code;
      } catch (err) {
        // kubectl diff keeps 1 for "differences found": its own errors exit with 2, and a failed
        // diff program with that program's code (its message is on stderr already).
        if (err instanceof DiffFailedError) ctx.exitCode = err.exitCode;
        else {
          ctx.report(err);
          ctx.exitCode = 2;
        }
      }
    });
}

/**
 * `edgectl apply -f`: validate every manifest locally, upload local Wasm images, then create what
 * is absent and update what exists (namespaces first), printing `created|configured|unchanged`.
 */
import type { Command } from 'commander';
import { EdgeError, RESOURCE_TYPES, type KubeObject } from '../../api/index.js';
import type { EdgeClient } from '../client/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { loadManifests, rewriteLocalImages, validateManifest, type ValidManifest } from '../manifests/index.js';
import { objectRef } from '../printers/index.js';

export interface ApplyFlags {
  filename?: string[];
}

/** Collects repeatable `-f` values. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

type Outcome = 'created' | 'configured' | 'unchanged';

/**
 * The object to PUT: the manifest's spec (and other top-level fields), labels and annotations on
 * top of the server's metadata (uid, resourceVersion…) and status.
 */
export function mergeForUpdate(live: KubeObject, desired: KubeObject): KubeObject {
  const merged: KubeObject = {
    ...desired,
    metadata: { ...live.metadata, labels: desired.metadata.labels, annotations: desired.metadata.annotations },
  };
  if (live.status !== undefined) merged.status = live.status;
  else delete merged.status;
  return merged;
}

async function applyOne(client: EdgeClient, item: ValidManifest, signal: AbortSignal): Promise<Outcome> {
  const { type, object } = item;
  const ns = object.metadata.namespace;
  const name = object.metadata.name ?? '';
  for (let attempt = 0; ; attempt++) {
    let live: KubeObject;
    try {
      live = await client.get(type, ns, name, signal);
    } catch (err) {
      if (!(err instanceof EdgeError && err.code === 'NotFound')) throw err;
      try {
        await client.create(type, object, { signal });
        return 'created';
      } catch (createErr) {
        // Created by someone else between our GET and POST: update it instead.
        if (attempt === 0 && createErr instanceof EdgeError && createErr.code === 'AlreadyExists') continue;
        throw createErr;
      }
    }
    try {
      const updated = await client.update(type, mergeForUpdate(live, object), signal);
      return updated.metadata.resourceVersion === live.metadata.resourceVersion ? 'unchanged' : 'configured';
    } catch (err) {
      // A writer slipped in between GET and PUT: re-read once and try again.
      if (attempt === 0 && err instanceof EdgeError && err.code === 'Conflict') continue;
      throw err;
    }
  }
}

/** Runs `apply`. */
export async function runApply(ctx: CliContext, flags: ApplyFlags): Promise<void> {
  const files = flags.filename ?? [];
  if (files.length === 0) throw new UsageError('must specify one of -f or --filename', 'edgectl apply --help');
  const conn = await ctx.connection();
  const manifests = await loadManifests(files, { cwd: ctx.cwd, readStdin: () => ctx.readStdin() });
  if (manifests.length === 0) throw new UsageError('no objects passed to apply');
  const items = manifests.map(validateManifest);
  for (const item of items) {
    if (!item.type.namespaced) {
      delete item.object.metadata.namespace;
      continue;
    }
    const ns = item.object.metadata.namespace;
    if (ns && conn.namespaceExplicit && ns !== conn.namespace) {
      throw new UsageError(
        `the namespace from the provided object "${ns}" does not match the namespace "${conn.namespace}". You must pass '--namespace=${ns}' to perform this operation.`,
      );
    }
    item.object.metadata.namespace = ns ?? conn.namespace;
  }
  const client = await ctx.client();
  await rewriteLocalImages(items, (path) => client.uploadBlob(path, ctx.signal));
  // Stable sort by the registry's order: namespaces first, pods after their workloads' services.
  const order = (i: ValidManifest): number => RESOURCE_TYPES.indexOf(i.type);
  const sorted = items.map((item, i) => ({ item, i })).sort((a, b) => order(a.item) - order(b.item) || a.i - b.i);
  for (const { item } of sorted) {
    try {
      const outcome = await applyOne(client, item, ctx.signal);
      ctx.out(`${objectRef(item.type, item.object.metadata.name ?? '')} ${outcome}\n`);
    } catch (err) {
      // One refused object does not stop the others (kubectl's behaviour); the exit code says it.
      ctx.report(err);
    }
  }
}

/** Registers `apply` on the program. */
export function registerApply(program: Command, ctx: CliContext): void {
  program
    .command('apply')
    .description('Apply a configuration to resources by file name, directory or stdin')
    .option('-f, --filename <path>', 'manifest file, directory of manifests, or - for stdin (repeatable)', collect)
    .action(async (flags: ApplyFlags) => runApply(ctx, flags));
}

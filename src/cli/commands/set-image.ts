/**
 * `edgectl set image TYPE/NAME CONTAINER=IMAGE...`: changes container images of a workload (a
 * rollout follows). A local `.wasm` path is uploaded to the hub first, as `apply` does.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { KubeObject, PodSpec } from '../../api/index.js';
import { hubImageRef } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { localWasmPath } from '../manifests/index.js';
import { objectRef } from '../printers/index.js';
import { parseResourceArgs } from './resources.js';

function podSpecOf(obj: KubeObject): PodSpec | undefined {
  const spec = obj.spec as { containers?: unknown; template?: { spec?: PodSpec } } | undefined;
  return obj.kind === 'Pod' ? (obj.spec as PodSpec) : spec?.template?.spec;
}

/** Runs `set image`. */
export async function runSetImage(ctx: CliContext, args: string[]): Promise<void> {
  const pairs = args.filter((a) => a.includes('='));
  const resources = args.filter((a) => !a.includes('='));
  if (pairs.length === 0)
    throw new UsageError(
      'give at least one CONTAINER=IMAGE (or *=IMAGE for every container)',
      'edgectl set image --help',
    );
  const images = new Map<string, string>();
  for (const p of pairs) {
    const eq = p.indexOf('=');
    images.set(p.slice(0, eq), p.slice(eq + 1));
  }
  const client = await ctx.client();
  // Local component files are uploaded once, before anything changes.
  for (const [container, image] of images) {
    const local = localWasmPath(image, ctx.cwd);
    if (!local) continue;
    if (!existsSync(local.path))
      throw new UsageError(`image "${image}" for container "${container}": no such file ${local.path}`);
    const { digest } = await client.uploadBlob(local.path, ctx.signal);
    images.set(container, hubImageRef(basename(local.path), digest));
  }
  const ns = await ctx.namespace();
  for (const r of parseResourceArgs(resources, 'set image')) {
    for (const name of r.names) {
      try {
        const obj = await client.get(r.type, ns, name, ctx.signal);
        const spec = podSpecOf(obj);
        if (!spec) throw new UsageError(`${r.type.plural} have no containers to set an image on`);
        let changed = false;
        for (const c of spec.containers) {
          const next = images.get(c.name) ?? images.get('*');
          if (next !== undefined && next !== c.image) {
            c.image = next;
            changed = true;
          }
        }
        const unknown = [...images.keys()].filter((k) => k !== '*' && !spec.containers.some((c) => c.name === k));
        if (unknown.length > 0) throw new UsageError(`unable to find container named "${unknown.join('", "')}"`);
        if (changed) await client.update(r.type, obj, ctx.signal);
        ctx.out(`${objectRef(r.type, name)} image updated\n`);
      } catch (err) {
        ctx.report(err);
        ctx.exitCode = 1;
      }
    }
  }
}

/** Registers `set image`. */
export function registerSet(program: Command, ctx: CliContext): void {
  const set = program.command('set').description('Set specific features on objects');
  set
    .command('image')
    .description('Update the image of containers: edgectl set image deployment/web web=./dist/web.wasm')
    .argument('<args...>', 'TYPE/NAME... CONTAINER=IMAGE...')
    .action(async (args: string[]) => runSetImage(ctx, args));
}

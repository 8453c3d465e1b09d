/**
 * `edgectl create namespace|deployment|job`, shaped as kubectl's generators shape them:
 *   create namespace NAME
 *   create deployment NAME --image=IMAGE... [--replicas=N] [--port=N]   (labels app=NAME)
 *   create job NAME --image=IMAGE [-- COMMAND [ARGS...]]                 (restartPolicy Never)
 * with `--dry-run=client -o yaml|json|name` like the other `create` verbs.
 */
import type { Command } from 'commander';
import { typeByName, type KubeObject, type ResourceKind } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { common, finish, type CreateFlags } from './create-finish.js';

interface WorkloadFlags extends CreateFlags {
  image?: string[];
  replicas?: string;
  port?: string;
}

const T = (name: string): ResourceKind => {
  const t = typeByName(name);
  if (!t) throw new Error(`${name} kind is not registered`);
  return t;
};

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

/** kubectl's container name for an image: its base name before the tag, made a DNS label, unique. */
export function containerNames(images: readonly string[]): string[] {
  const used = new Set<string>();
  return images.map((img) => {
    const base = (img.split('@')[0] ?? img).split('/').pop() ?? img;
    let name =
      (base.split(':')[0] ?? base)
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, '-')
        .replace(/^-+|-+$/g, '') || 'container';
    for (let i = 1; used.has(name); i++) name = `${name}-${i}`;
    used.add(name);
    return name;
  });
}

function integer(value: string | undefined, flag: string, dflt: number): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`invalid argument "${value}" for "${flag}" flag`);
  return n;
}

async function namespaceFor(ctx: CliContext, flags: CreateFlags): Promise<string> {
  if (ctx.globals.namespace !== undefined) return ctx.globals.namespace;
  return flags.dryRun === 'client' ? ctx.namespace().catch(() => 'default') : ctx.namespace();
}

/** Runs `create deployment`. */
export async function runCreateDeployment(ctx: CliContext, name: string, flags: WorkloadFlags): Promise<void> {
  const images = flags.image ?? [];
  if (images.length === 0) throw new UsageError('required flag(s) "image" not set', 'edgectl create deployment --help');
  const port = flags.port === undefined ? undefined : integer(flags.port, '--port', 0);
  const labels = { app: name };
  const names = containerNames(images);
  const obj = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: await namespaceFor(ctx, flags), labels },
    spec: {
      replicas: integer(flags.replicas, '--replicas', 1),
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: images.map((image, i) => ({
            name: names[i] ?? 'container',
            image,
            ...(port !== undefined ? { ports: [{ containerPort: port }] } : {}),
          })),
        },
      },
    },
  } as KubeObject;
  await finish(ctx, T('deployments'), obj, flags);
}

/** Runs `create job`. */
export async function runCreateJob(
  ctx: CliContext,
  name: string,
  command: string[],
  flags: WorkloadFlags,
): Promise<void> {
  const image = flags.image?.[0];
  if (image === undefined || (flags.image?.length ?? 0) > 1)
    throw new UsageError('--image must be given once', 'edgectl create job --help');
  const obj = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: await namespaceFor(ctx, flags) },
    spec: {
      template: {
        spec: {
          containers: [{ name, image, ...(command.length > 0 ? { command } : {}) }],
          restartPolicy: 'Never',
        },
      },
    },
  } as KubeObject;
  await finish(ctx, T('jobs'), obj, flags);
}

/** Runs `create namespace`. */
export async function runCreateNamespace(ctx: CliContext, name: string, flags: CreateFlags): Promise<void> {
  await finish(ctx, T('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, flags);
}

/** Adds `namespace`, `deployment` and `job` to `create`. */
export function registerCreateWorkloads(create: Command, ctx: CliContext): void {
  common(create.command('namespace').alias('ns').description('Create a namespace with the specified name'))
    .argument('<name>')
    .action(async (name: string, flags: CreateFlags) => runCreateNamespace(ctx, name, flags));
  common(create.command('deployment').alias('deploy').description('Create a deployment with the specified name'))
    .argument('<name>')
    .option('--image <image>', 'image of a container (repeatable: one container each)', collect)
    .option('--replicas <n>', 'number of replicas', '1')
    .option('--port <port>', 'the containerPort the containers expose')
    .action(async (name: string, flags: WorkloadFlags) => runCreateDeployment(ctx, name, flags));
  common(create.command('job').description('Create a job with the specified name'))
    .argument('<name>')
    .argument('[command...]', 'the command of the container, after --')
    .option('--image <image>', 'image of the container', collect)
    .action(async (name: string, command: string[], flags: WorkloadFlags) => runCreateJob(ctx, name, command, flags));
}

/**
 * `edgectl create configmap|secret`, with kubectl's verbs and flags:
 *   create configmap NAME [--from-literal=k=v] [--from-file=[key=]path] [--from-env-file=path]
 *   create secret generic NAME [same sources] [--type=T]
 *   create secret docker-registry NAME --docker-server --docker-username --docker-password [--docker-email]
 *   create secret tls NAME --cert=path --key=path
 * each with `-n`, `--dry-run=client -o yaml|json|name`. No value has to be on the command line
 * (files and env files exist); `--from-literal` and `--docker-password` put one there, as kubectl's do,
 * where `ps` shows it. Nothing printed holds a value unless `-o yaml|json` asks for the object.
 */
import type { Command } from 'commander';
import { SECRET_TYPES, typeByKind, type ConfigMap, type ResourceKind, type Secret } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { isUtf8, readSources } from './create-sources.js';
import { common, finish, type CreateFlags } from './create-finish.js';
export type { CreateFlags } from './create-finish.js';
import { registerCreateService } from './create-service.js';
import { registerCreateWorkloads } from './create-workloads.js';

const kind = (k: string): ResourceKind => {
  const t = typeByKind('v1', k);
  if (!t) throw new Error(`${k} kind is not registered`);
  return t;
};

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

async function namespaceOf(ctx: CliContext, dryRun: boolean): Promise<string> {
  if (ctx.globals.namespace !== undefined) return ctx.globals.namespace;
  // A client-side dry run works without a reachable hub, as kubectl's does.
  return dryRun ? ctx.namespace().catch(() => 'default') : ctx.namespace();
}

/** Runs `create configmap NAME`. */
export async function runCreateConfigMap(ctx: CliContext, name: string, flags: CreateFlags): Promise<void> {
  const entries = await readSources(flags, ctx.cwd, ctx.io.env);
  const data: Record<string, string> = {};
  const binaryData: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (isUtf8(v)) data[k] = v.toString('utf8');
    else binaryData[k] = v.toString('base64');
  }
  const cm: ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: await namespaceOf(ctx, flags.dryRun === 'client') },
    ...(Object.keys(data).length > 0 ? { data } : {}),
    ...(Object.keys(binaryData).length > 0 ? { binaryData } : {}),
  };
  await finish(ctx, kind('ConfigMap'), cm, flags);
}

async function secretOf(
  ctx: CliContext,
  name: string,
  type: string,
  data: Record<string, string>,
  flags: CreateFlags,
): Promise<void> {
  const s = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: await namespaceOf(ctx, flags.dryRun === 'client') },
    type,
    data,
  } as Secret;
  await finish(ctx, kind('Secret'), s, flags);
}

/** Runs `create secret generic NAME`. */
export async function runCreateSecretGeneric(ctx: CliContext, name: string, flags: CreateFlags): Promise<void> {
  const entries = await readSources(flags, ctx.cwd, ctx.io.env);
  const data = Object.fromEntries([...entries].map(([k, v]) => [k, v.toString('base64')]));
  await secretOf(ctx, name, flags.type ?? SECRET_TYPES.opaque, data, flags);
}

/** Runs `create secret docker-registry NAME`: a `.dockerconfigjson` with one registry's auth. */
export async function runCreateSecretDocker(ctx: CliContext, name: string, flags: CreateFlags): Promise<void> {
  if ((flags.fromFile ?? []).length > 0) {
    const entries = await readSources({ fromFile: flags.fromFile }, ctx.cwd, ctx.io.env);
    const data = Object.fromEntries([...entries].map(([k, v]) => [k, v.toString('base64')]));
    return secretOf(ctx, name, SECRET_TYPES.dockerConfigJson, data, flags);
  }
  const { dockerUsername: user, dockerPassword: password } = flags;
  if (user === undefined || password === undefined)
    throw new UsageError(
      '--docker-username and --docker-password are required (or --from-file=.dockerconfigjson=path)',
      'edgectl create secret docker-registry --help',
    );
  const server = flags.dockerServer ?? 'https://index.docker.io/v1/';
  const entry = {
    username: user,
    password,
    ...(flags.dockerEmail !== undefined ? { email: flags.dockerEmail } : {}),
    auth: Buffer.from(`${user}:${password}`).toString('base64'),
  };
  const json = JSON.stringify({ auths: { [server]: entry } });
  await secretOf(
    ctx,
    name,
    SECRET_TYPES.dockerConfigJson,
    { '.dockerconfigjson': Buffer.from(json).toString('base64') },
    flags,
  );
}

/** Runs `create secret tls NAME --cert --key`. */
export async function runCreateSecretTls(ctx: CliContext, name: string, flags: CreateFlags): Promise<void> {
  if (flags.cert === undefined || flags.key === undefined)
    throw new UsageError('--cert and --key are required', 'edgectl create secret tls --help');
  const entries = await readSources(
    { fromFile: [`tls.crt=${flags.cert}`, `tls.key=${flags.key}`] },
    ctx.cwd,
    ctx.io.env,
  );
  const crt = entries.get('tls.crt')?.toString('utf8') ?? '';
  const key = entries.get('tls.key')?.toString('utf8') ?? '';
  if (!crt.includes('-----BEGIN CERTIFICATE-----'))
    throw new UsageError(`--cert: ${flags.cert} holds no PEM certificate`);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key))
    throw new UsageError(`--key: ${flags.key} holds no PEM private key`);
  const data = Object.fromEntries([...entries].map(([k, v]) => [k, v.toString('base64')]));
  await secretOf(ctx, name, SECRET_TYPES.tls, data, flags);
}

function sources(cmd: Command): Command {
  return cmd
    .option('--from-literal <key=value>', 'a key and its value (the value is on the command line)', collect)
    .option('--from-file <[key=]path>', 'a file (key: its name) or a directory (each file in it)', collect)
    .option('--from-env-file <path>', 'KEY=VALUE lines of a file', collect);
}

/** Registers `create configmap` and `create secret generic|docker-registry|tls`. */
export function registerCreate(program: Command, ctx: CliContext): void {
  const create = program
    .command('create')
    .description('Create a namespace, deployment, job, ConfigMap or Secret (kubectl create)');
  common(sources(create.command('configmap').alias('cm').description('Create a ConfigMap').argument('<name>'))).action(
    async (name: string, flags: CreateFlags) => runCreateConfigMap(ctx, name, flags),
  );
  const secret = create.command('secret').description('Create a Secret');
  common(sources(secret.command('generic').description('Create a Secret from literals and files').argument('<name>')))
    .option('--type <type>', 'the Secret type', SECRET_TYPES.opaque)
    .action(async (name: string, flags: CreateFlags) => runCreateSecretGeneric(ctx, name, flags));
  common(
    secret
      .command('docker-registry')
      .description('Create a Secret for registry pulls (imagePullSecrets)')
      .argument('<name>'),
  )
    .option('--docker-server <url>', 'the registry', 'https://index.docker.io/v1/')
    .option('--docker-username <name>', 'user name at the registry')
    .option('--docker-password <password>', 'password (on the command line; prefer --from-file)')
    .option('--docker-email <email>', 'email for the registry')
    .option(
      '--from-file <[key=]path>',
      'an existing docker config, e.g. .dockerconfigjson=~/.docker/config.json',
      collect,
    )
    .action(async (name: string, flags: CreateFlags) => runCreateSecretDocker(ctx, name, flags));
  common(secret.command('tls').description('Create a TLS Secret from a PEM certificate and key').argument('<name>'))
    .option('--cert <path>', 'PEM certificate (chain)')
    .option('--key <path>', 'PEM private key')
    .action(async (name: string, flags: CreateFlags) => runCreateSecretTls(ctx, name, flags));
  registerCreateWorkloads(create, ctx);
  registerCreateService(create, ctx);
}

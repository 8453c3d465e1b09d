/**
 * `edgectl token create|list|delete`: tokens as managed objects (`auth.edgeplane.io/v1 Token`), as
 * `kubeadm token` manages bootstrap tokens. The secret is shown once, by `create`; `list` shows ids.
 */
import type { Command } from 'commander';
import { TOKEN_GROUP, parseDurationSeconds, typeByKind, type ResourceKind, type Token } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { humanDuration, renderTable } from '../printers/index.js';

function tokenType(): ResourceKind {
  const t = typeByKind(`${TOKEN_GROUP}/v1`, 'Token');
  if (!t) throw new Error('Token kind is not registered');
  return t;
}

/** Flags of `token create`. */
export interface TokenCreateFlags {
  ttl: string;
  description?: string;
  user?: string;
  groups?: string;
}

/** Runs `token create`: prints the join string (bootstrap) or the bearer token (user), once. */
export async function runTokenCreate(ctx: CliContext, flags: TokenCreateFlags): Promise<void> {
  const seconds = parseDurationSeconds(flags.ttl);
  if (seconds === undefined) throw new UsageError(`invalid --ttl "${flags.ttl}" (e.g. 24h, 30m; 0 never expires)`);
  const groups = (flags.groups ?? '').split(',').filter((g) => g !== '');
  if (groups.length > 0 && flags.user === undefined)
    throw new UsageError('--groups needs --user (a bootstrap token has no groups)', 'edgectl token create --help');
  const spec: Token['spec'] = {
    ...(flags.description ? { description: flags.description } : {}),
    ...(seconds > 0 ? { expiration: new Date(ctx.now() + seconds * 1000).toISOString() } : {}),
    ...(flags.user !== undefined
      ? { user: flags.user, ...(groups.length ? { groups } : {}) }
      : { usages: ['bootstrap'] }),
  };
  const body: Token = { apiVersion: `${TOKEN_GROUP}/v1`, kind: 'Token', metadata: {}, spec };
  const created = await (await ctx.client()).create<Token>(tokenType(), body);
  const shown = created.status?.joinToken ?? created.status?.token;
  if (shown === undefined) throw new Error('the hub did not return the token');
  ctx.out(`${shown}\n`);
}

/** Runs `token list`: ids, time left, usages, description; never a secret. */
export async function runTokenList(ctx: CliContext): Promise<void> {
  const list = await (await ctx.client()).list<Token>(tokenType());
  const now = ctx.now();
  const rows = list.items.map((t) => {
    const exp = t.spec.expiration;
    const ttl =
      exp === undefined ? '<forever>' : Date.parse(exp) <= now ? '<expired>' : humanDuration(Date.parse(exp) - now);
    const usage = t.spec.usages?.join(',') ?? `user:${t.spec.user ?? ''}`;
    return [
      t.metadata.name ?? '',
      ttl,
      exp ?? '<never>',
      usage,
      t.spec.description ?? '<none>',
      (t.spec.groups ?? []).join(',') || '<none>',
    ];
  });
  ctx.out(renderTable([['ID', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION', 'GROUPS'], ...rows]));
}

/** Runs `token delete ID`: the token authenticates nothing from then on. */
export async function runTokenDelete(ctx: CliContext, id: string): Promise<void> {
  // `abcdef.secret` is accepted and only its id is sent: the secret never leaves this process.
  const name = id.includes('.') ? id.slice(0, id.indexOf('.')) : id;
  await (await ctx.client()).delete(tokenType(), undefined, name);
  ctx.out(`token "${name}" deleted\n`);
}

/** Registers `token`. */
export function registerToken(program: Command, ctx: CliContext): void {
  const token = program.command('token').description('Manage bootstrap and user tokens');
  token
    .command('create')
    .description('Create a token; prints it once (a bootstrap join string, or with --user a bearer token)')
    .option('--ttl <duration>', 'time until the token expires (0: never)', '24h')
    .option('--description <text>', 'what the token is for')
    .option('--user <name>', 'make a token that authenticates as this user')
    .option('--groups <list>', "the user's groups, comma-separated")
    .action(async (flags: TokenCreateFlags) => runTokenCreate(ctx, flags));
  token
    .command('list')
    .description('List tokens (ids, never secrets)')
    .action(async () => runTokenList(ctx));
  token
    .command('delete')
    .description('Delete a token: it authenticates nothing from then on')
    .argument('<id>', 'the token id')
    .action(async (id: string) => runTokenDelete(ctx, id));
}

/**
 * `edgectl auth can-i VERB RESOURCE[/NAME] [-n NS] [--subresource SUB] [-A]` (or `VERB /path`):
 * asks the hub with a SelfSubjectAccessReview whether the current user may, prints `yes` or `no`
 * and exits 0 or 1, as `kubectl auth can-i` does.
 */
import type { Command } from 'commander';
import { typeByName, type SelfSubjectAccessReview } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';

/** Flags of `auth can-i`. */
export interface CanIFlags {
  subresource?: string;
  allNamespaces?: boolean;
  quiet?: boolean;
}

/** What to ask: a resource (`pods`, `deployments.apps/web`) or a URL path (`/healthz`). */
async function reviewSpec(
  ctx: CliContext,
  verb: string,
  target: string,
  flags: CanIFlags,
): Promise<SelfSubjectAccessReview['spec']> {
  if (target.startsWith('/')) {
    if (flags.subresource) throw new UsageError('--subresource cannot be used with a URL', 'edgectl auth can-i --help');
    return { nonResourceAttributes: { verb, path: target } };
  }
  const slash = target.indexOf('/');
  const resource = slash < 0 ? target : target.slice(0, slash);
  const name = slash < 0 ? undefined : target.slice(slash + 1);
  const type = typeByName(resource);
  const dot = resource.indexOf('.');
  // A kind the hub does not serve (yet) is asked as typed, as kubectl does after its warning.
  if (!type) ctx.err(`Warning: the server doesn't have a resource type '${resource}'\n`);
  const plural = type?.plural ?? (dot < 0 ? resource : resource.slice(0, dot));
  const group = type?.group ?? (dot < 0 ? '' : resource.slice(dot + 1));
  const namespaced = type?.namespaced ?? true;
  const namespace = namespaced && !flags.allNamespaces ? await ctx.namespace() : undefined;
  return {
    resourceAttributes: {
      verb,
      group,
      resource: plural,
      ...(flags.subresource ? { subresource: flags.subresource } : {}),
      ...(namespace !== undefined ? { namespace } : {}),
      ...(name ? { name } : {}),
    },
  };
}

/** Runs `auth can-i`. */
export async function runCanI(ctx: CliContext, verb: string, target: string, flags: CanIFlags): Promise<void> {
  const spec = await reviewSpec(ctx, verb, target, flags);
  const answer = await (await ctx.client()).accessReview(spec, ctx.signal);
  const allowed = answer.status?.allowed === true;
  if (!flags.quiet) {
    const extra = [answer.status?.reason, answer.status?.evaluationError].filter((s) => s !== undefined && s !== '');
    ctx.out(allowed ? 'yes\n' : `no${extra.map((s) => ` - ${s}`).join('')}\n`);
  }
  if (!allowed) ctx.exitCode = 1;
}

/** Registers `auth can-i`. */
export function registerAuth(program: Command, ctx: CliContext): void {
  const auth = program.command('auth').description('Inspect authorization');
  auth
    .command('can-i')
    .description('Check whether an action is allowed: edgectl auth can-i VERB RESOURCE[/NAME] | VERB /PATH')
    .argument('<verb>', 'the verb (get, list, create, delete, bind, …; * for all)')
    .argument('<resource>', 'the resource, optionally /NAME (pods, deployments.apps/web), or a URL path (/healthz)')
    .option('--subresource <name>', 'the subresource (exec, log, scale, status)')
    .option('-A, --all-namespaces', 'ask about all namespaces')
    .option('-q, --quiet', 'print nothing; the exit code answers')
    .action(async (verb: string, resource: string, flags: CanIFlags) => runCanI(ctx, verb, resource, flags));
}

/**
 * `edgectl wait TYPE NAME | TYPE/NAME | TYPE -l SEL | TYPE --all --for=delete|condition=C[=V]|jsonpath=P[=V]
 * [--timeout 30s]`: kubectl's wait. Each object is read, then watched by name from that revision until
 * the condition holds (no polling); prints `kind/name condition met`, exits 1 past the timeout.
 */
import type { Command } from 'commander';
import { EdgeError, parseDurationSeconds, type KubeObject, type ResourceKind } from '../../api/index.js';
import type { EdgeClient } from '../client/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { JsonPathTemplate, objectRef, relaxedTemplate } from '../printers/index.js';
import { parseResourceArgs } from './resources.js';
import { WaitTimeoutError, waitDeleted } from './wait-deleted.js';

interface WaitFlags {
  for?: string;
  timeout: string;
  selector?: string;
  all?: boolean;
}

const HELP = 'edgectl wait --help';

/** A parsed `--for`: true when the object (present) meets it. */
type Check = { kind: 'delete' } | { kind: 'test'; test: (obj: KubeObject) => boolean };

/** Parses `--for=delete`, `--for=condition=Ready[=False]`, `--for=jsonpath='{.status.phase}'=Running`. */
export function parseFor(value: string | undefined): Check {
  if (value === undefined) throw new UsageError('--for must be specified', HELP);
  if (value.toLowerCase() === 'delete') return { kind: 'delete' };
  if (value.toLowerCase().startsWith('condition=')) {
    const [name = '', want = 'true'] = value.slice('condition='.length).split('=');
    if (name === '') throw new UsageError(`unrecognized condition: "${value}"`, HELP);
    return {
      kind: 'test',
      test: (obj) =>
        ((obj as { status?: { conditions?: { type?: string; status?: string }[] } }).status?.conditions ?? []).some(
          (c) => c.type?.toLowerCase() === name.toLowerCase() && c.status?.toLowerCase() === want.toLowerCase(),
        ),
    };
  }
  if (value.toLowerCase().startsWith('jsonpath=')) {
    const rest = value.slice('jsonpath='.length);
    // The path ends at the `=` after its closing brace (or at the first `=` of a relaxed path).
    const close = rest.startsWith('{') ? rest.indexOf('}') : -1;
    const eq = rest.indexOf('=', close < 0 ? 0 : close);
    const path = eq < 0 ? rest : rest.slice(0, eq);
    const want = eq < 0 ? undefined : rest.slice(eq + 1);
    const t = new JsonPathTemplate(relaxedTemplate(path));
    return {
      kind: 'test',
      test: (obj) => {
        const values = t.values(obj);
        if (want === undefined) return values.length > 0;
        const v = values[0];
        return v !== undefined && (typeof v === 'string' ? v : JSON.stringify(v)) === want;
      },
    };
  }
  throw new UsageError(
    `unrecognized condition: "${value}" (use delete, condition=NAME[=VALUE] or jsonpath=PATH[=VALUE])`,
    HELP,
  );
}

const isGone = (err: unknown): boolean => err instanceof EdgeError && err.code === 'Gone';

/** Resolves once `obj` (re-read and watched by name) passes `test`. */
async function waitFor(
  client: EdgeClient,
  type: ResourceKind,
  namespace: string | undefined,
  name: string,
  test: (obj: KubeObject) => boolean,
  signal: AbortSignal,
): Promise<void> {
  for (;;) {
    const obj = await client.get(type, namespace, name, signal);
    if (test(obj)) return;
    try {
      for await (const ev of client.watch(type, {
        namespace,
        fieldSelector: `metadata.name=${name}`,
        resourceVersion: obj.metadata.resourceVersion,
        signal,
      })) {
        if (ev.type === 'DELETED') throw new EdgeError('NotFound', 404, `${type.plural} "${name}" was deleted`);
        if (ev.type !== 'BOOKMARK' && test(ev.object)) return;
      }
    } catch (err) {
      if (!isGone(err)) throw err;
    }
    signal.throwIfAborted();
  }
}

/** Runs `wait`. */
export async function runWait(ctx: CliContext, args: string[], flags: WaitFlags): Promise<void> {
  const check = parseFor(flags.for);
  const seconds = parseDurationSeconds(flags.timeout);
  if (seconds === undefined) throw new UsageError(`invalid --timeout "${flags.timeout}"`, HELP);
  const client = await ctx.client();
  const ns = await ctx.namespace();
  const targets: { type: ResourceKind; name: string }[] = [];
  for (const r of parseResourceArgs(args, 'wait')) {
    if (r.names.length > 0) targets.push(...r.names.map((name) => ({ type: r.type, name })));
    else if (flags.selector || flags.all) {
      const list = await client.list(r.type, {
        namespace: r.type.namespaced ? ns : undefined,
        labelSelector: flags.selector,
        signal: ctx.signal,
      });
      targets.push(...list.items.map((o) => ({ type: r.type, name: o.metadata.name ?? '' })));
    } else throw new UsageError('resource(s) were provided, but no name was specified', HELP);
  }
  if (targets.length === 0) throw new UsageError('no matching resources found');
  // kubectl's --timeout is for the whole wait; 0 checks once; a negative one waits a week.
  const deadline = AbortSignal.timeout(seconds < 0 ? 7 * 86_400_000 : Math.max(seconds * 1000, 1));
  const signal = AbortSignal.any([ctx.signal, deadline]);
  for (const t of targets) {
    const namespace = t.type.namespaced ? ns : undefined;
    try {
      if (check.kind === 'delete') await waitDeleted(client, t.type, namespace, t.name, signal);
      else await waitFor(client, t.type, namespace, t.name, check.test, signal);
      ctx.out(`${objectRef(t.type, t.name)} condition met\n`);
    } catch (err) {
      if (deadline.aborted) throw new WaitTimeoutError(`${t.type.plural}/${t.name}`);
      throw err;
    }
  }
}

/** Registers `wait`. */
export function registerWait(program: Command, ctx: CliContext): void {
  program
    .command('wait')
    .description('Wait for a specific condition on one or many resources')
    .argument('<resources...>', 'TYPE NAME... | TYPE/NAME... | TYPE with -l or --all')
    .option('--for <condition>', 'delete, condition=NAME[=VALUE] (default value true) or jsonpath=PATH[=VALUE]')
    .option('--timeout <duration>', 'give up after this long (0 checks once, negative waits a week)', '30s')
    .option('-l, --selector <selector>', 'wait for every object of TYPE matching this label selector')
    .option('--all', 'wait for every object of TYPE in the namespace')
    .action(async (args: string[], flags: WaitFlags) => runWait(ctx, args, flags));
}

/**
 * `edgectl canary promote|abort|status NAME`: manual control of a Canary's analysis.
 *
 * As everything else in the cluster, the commands write an intent and the (level-triggered) canary
 * controller acts on it: an annotation naming the revision under analysis (`status.lastAppliedSpec`),
 * `canary.edgeplane.io/promote` or `canary.edgeplane.io/abort`. A request therefore survives a hub
 * restart or a leader change, and a request for an older revision never touches a newer rollout.
 * For Flagger users: promote is the confirm-promotion gate opened (and the remaining steps skipped),
 * abort is the rollback gate (docs/routing.md).
 */
import type { Command } from 'commander';
import {
  CANARY_ABORT_ANNOTATION,
  CANARY_PROMOTE_ANNOTATION,
  age,
  eventTime,
  typeByKind,
  type Canary,
  type Event,
  type ResourceKind,
} from '../../api/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { DescribeWriter, describeTime, objectRef } from '../printers/index.js';
import { writeConditions, writeEvents } from '../printers/describe-writer.js';

const CANARY = typeByKind('flagger.app/v1beta1', 'Canary')!;
const EVENT = typeByKind('v1', 'Event')!;
/** Phases in which an analysis runs and a manual request is acted on. */
const ANALYSING = new Set(['Progressing', 'Waiting', 'WaitingPromotion']);
/** How many of the canary's latest events `status` prints. */
const EVENTS_SHOWN = 8;

async function read(ctx: CliContext, name: string): Promise<Canary> {
  const client = await ctx.client();
  return client.get<Canary>(CANARY, await ctx.namespace(), name, ctx.signal);
}

/** Writes the promote or abort request for the revision under analysis. */
async function request(ctx: CliContext, name: string, action: 'promote' | 'abort'): Promise<void> {
  const cd = await read(ctx, name);
  const phase = cd.status?.phase ?? 'Initializing';
  const revision = cd.status?.lastAppliedSpec;
  if (!ANALYSING.has(phase) || !revision)
    throw new UsageError(
      `${objectRef(CANARY, name)} has no analysis in progress (phase ${phase}): nothing to ${action}`,
    );
  const key = action === 'promote' ? CANARY_PROMOTE_ANNOTATION : CANARY_ABORT_ANNOTATION;
  const client = await ctx.client();
  // A merge patch of one annotation: no conflict with the controller's status writes.
  await client.patch(
    CANARY,
    cd.metadata.namespace,
    name,
    { metadata: { annotations: { [key]: revision } } },
    { patchType: 'merge', signal: ctx.signal },
  );
  ctx.out(`${objectRef(CANARY, name)} ${action === 'promote' ? 'promotion' : 'abort'} requested\n`);
}

/** The pending manual request of `cd`, if its phase has not moved on yet. */
function pending(cd: Canary): string | undefined {
  const rev = cd.status?.lastAppliedSpec;
  const a = cd.metadata.annotations ?? {};
  if (!rev || !ANALYSING.has(cd.status?.phase ?? '')) return undefined;
  if (a[CANARY_ABORT_ANNOTATION] === rev) return 'abort';
  if (a[CANARY_PROMOTE_ANNOTATION] === rev) return 'promote';
  return undefined;
}

/** The steps a canary moves through, as written in its analysis. */
function steps(cd: Canary): string {
  const a = cd.spec.analysis;
  if (a.iterations !== undefined) return `blue-green, ${a.iterations} iterations then 100`;
  if (a.stepWeights) return a.stepWeights.join(', ');
  return `${a.stepWeight ?? 0} up to ${a.maxWeight ?? 100}`;
}

/** `edgectl canary status`: the analysis as `describe` would show it, with its latest events. */
export function canaryStatusText(cd: Canary, events: readonly Event[], now: number): string {
  const s = cd.status ?? {};
  const a = cd.spec.analysis;
  const w = new DescribeWriter();
  w.kv(0, 'Name', cd.metadata.name);
  w.kv(0, 'Namespace', cd.metadata.namespace);
  w.kv(0, 'Target', `${cd.spec.targetRef.kind}/${cd.spec.targetRef.name}`);
  w.kv(0, 'Phase', s.phase ?? 'Initializing');
  w.kv(0, 'Weight', `${s.canaryWeight ?? 0} (steps: ${steps(cd)})`);
  if (a.iterations !== undefined) w.kv(0, 'Iterations', `${s.iterations ?? 0} of ${a.iterations}`);
  w.kv(0, 'Failed checks', `${s.failedChecks ?? 0} of ${a.threshold ?? 1}`);
  w.kv(0, 'Interval', a.interval ?? '1m');
  const since = s.lastTransitionTime ? ` (${age(s.lastTransitionTime, now)} ago)` : '';
  w.kv(0, 'Last transition', s.lastTransitionTime ? `${describeTime(s.lastTransitionTime)}${since}` : undefined);
  w.kv(0, 'Revision', s.lastAppliedSpec);
  w.kv(0, 'Promoted revision', s.lastPromotedSpec);
  const asked = pending(cd);
  if (asked) w.kv(0, 'Requested', `${asked} (waiting for the controller)`);
  writeConditions(w, s.conditions, 'message');
  writeEvents(w, events.slice(-EVENTS_SHOWN), now);
  return w.toString();
}

async function status(ctx: CliContext, name: string): Promise<void> {
  const cd = await read(ctx, name);
  const client = await ctx.client();
  const list = await client
    .list<Event>(EVENT as ResourceKind, {
      namespace: cd.metadata.namespace,
      fieldSelector: `involvedObject.name=${name},involvedObject.kind=Canary`,
      signal: ctx.signal,
    })
    .catch(() => ({ items: [] as Event[] }));
  // Events of an earlier Canary of the same name carry its uid: leave them out.
  const events = list.items.filter((e) => !e.involvedObject.uid || e.involvedObject.uid === cd.metadata.uid);
  const time = (e: Event): number => Date.parse(eventTime(e) ?? '') || 0;
  ctx.out(
    canaryStatusText(
      cd,
      [...events].sort((x, y) => time(x) - time(y)),
      ctx.now(),
    ),
  );
}

/** Registers `canary` and its subcommands. */
export function registerCanary(program: Command, ctx: CliContext): void {
  const canary = program.command('canary').description('Control the analysis of a Canary (flagger.app)');
  canary
    .command('promote')
    .description('Promote the revision under analysis now, skipping the remaining steps')
    .argument('<name>', 'the Canary')
    .action(async (name: string) => request(ctx, name, 'promote'));
  canary
    .command('abort')
    .description('Roll back the revision under analysis now')
    .argument('<name>', 'the Canary')
    .action(async (name: string) => request(ctx, name, 'abort'));
  canary
    .command('status')
    .description("Show a Canary's phase, weight, failed checks, conditions and latest events")
    .argument('<name>', 'the Canary')
    .action(async (name: string) => status(ctx, name));
}

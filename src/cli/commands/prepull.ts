/**
 * `edgectl prepull IMAGE [-l SELECTOR] [--timeout 5m]` (issue 20): pulls a component (a local `.wasm`
 * file, uploaded first as `apply` does, or a hub reference) or an OCI image onto every node matching the
 * selector before a rollout, and prints per node what happened. It uses nothing but the API: one pod
 * per node, bound to it by `spec.nodeName` (`restartPolicy: Never`, label `edgeplane.io/prepull`), is
 * created; once its container has started (the image is there) or its pull failed (`ErrImagePull`,
 * `ImagePullBackOff`, `InvalidImageName`), the node's result is known and the pod deleted. Nodes of one
 * zone fetch the component from each other (peer-to-peer), which is meant to make a prepull cost the hub's uplink about
 * one copy per zone. Exit 1 when any node failed or timed out.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { hubImageRef, parseDurationSeconds, typeByKind, type Node, type Pod } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { localWasmPath } from '../manifests/index.js';

interface PrepullFlags {
  selector?: string;
  timeout: string;
}

const HELP = 'edgectl prepull --help';
const PREPULL_LABEL = 'edgeplane.io/prepull';
const PULL_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
const POD = typeByKind('v1', 'Pod')!;
const NODE = typeByKind('v1', 'Node')!;

/** A node's outcome: pulled, failed (with the node's message), or still waiting at the deadline. */
type Outcome = { state: 'pulled' } | { state: 'failed'; message: string } | { state: 'pending'; message?: string };

/** What a prepull pod says of its image so far. */
export function pullOutcome(pod: Pod | undefined): Outcome {
  const cs = pod?.status?.containerStatuses?.[0];
  if (cs?.state?.running || cs?.state?.terminated || cs?.imageID) return { state: 'pulled' };
  const waiting = cs?.state?.waiting;
  if (waiting?.reason && PULL_FAILURES.has(waiting.reason))
    return { state: 'failed', message: `${waiting.reason}: ${waiting.message ?? ''}`.trim() };
  if (pod?.status?.phase === 'Failed') return { state: 'failed', message: pod.status.message ?? 'the pod failed' };
  return { state: 'pending', ...(waiting?.reason ? { message: waiting.reason } : {}) };
}

/** The pod that pulls `image` on `node`. */
function prepullPod(name: string, id: string, node: string, image: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { [PREPULL_LABEL]: id } },
    spec: {
      nodeName: node,
      restartPolicy: 'Never',
      ...(image.split('@')[0]!.endsWith('.wasm') ? { runtimeClassName: 'wasm' } : {}),
      containers: [{ name: 'prepull', image }],
    },
  };
}

/** Runs `prepull`. */
export async function runPrepull(ctx: CliContext, imageArg: string, flags: PrepullFlags): Promise<void> {
  const seconds = parseDurationSeconds(flags.timeout);
  if (seconds === undefined || seconds <= 0) throw new UsageError(`invalid --timeout "${flags.timeout}"`, HELP);
  const client = await ctx.client();
  const ns = await ctx.namespace();
  let image = imageArg;
  const local = localWasmPath(imageArg, ctx.cwd);
  if (local) {
    const { digest } = await client.uploadBlob(local.path, ctx.signal);
    image = hubImageRef(basename(local.path), digest);
    ctx.out(`uploaded ${basename(local.path)} as ${image}\n`);
  }
  const nodes = (await client.list<Node>(NODE, { labelSelector: flags.selector, signal: ctx.signal })).items
    .map((n) => n.metadata.name ?? '')
    .filter((n) => n !== '')
    .sort();
  if (nodes.length === 0)
    throw new UsageError(`no nodes match${flags.selector ? ` the selector "${flags.selector}"` : ''}`);
  const id = createHash('sha256').update(`${image} ${Date.now()} ${Math.random()}`).digest('hex').slice(0, 10);
  const podOf = new Map(
    nodes.map((n) => [n, `prepull-${id}-${createHash('sha256').update(n).digest('hex').slice(0, 8)}`]),
  );
  const started = Date.now();
  const results = new Map<string, Outcome & { seconds?: number }>();
  try {
    for (const node of nodes) {
      try {
        await client.create(POD, prepullPod(podOf.get(node)!, id, node, image), { namespace: ns, signal: ctx.signal });
      } catch (err) {
        results.set(node, { state: 'failed', message: err instanceof Error ? err.message : String(err) });
      }
    }
    const deadline = started + seconds * 1000;
    while (results.size < nodes.length && Date.now() < deadline) {
      const pods = await client.list<Pod>(POD, {
        namespace: ns,
        labelSelector: `${PREPULL_LABEL}=${id}`,
        signal: ctx.signal,
      });
      for (const node of nodes) {
        if (results.has(node)) continue;
        const outcome = pullOutcome(pods.items.find((p) => p.metadata.name === podOf.get(node)));
        if (outcome.state !== 'pending') results.set(node, { ...outcome, seconds: (Date.now() - started) / 1000 });
      }
      if (results.size < nodes.length) await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    // The pods only served the pull: remove them all, whatever happened (ignoring ones already gone).
    await Promise.all(
      [...podOf.values()].map((name) => client.delete(POD, ns, name, { gracePeriodSeconds: 0 }).catch(() => undefined)),
    );
  }
  let failed = 0;
  for (const node of nodes) {
    const r = results.get(node) ?? { state: 'pending' as const };
    if (r.state === 'pulled') ctx.out(`node/${node} pulled ${image} (${r.seconds?.toFixed(1)}s)\n`);
    else {
      failed++;
      const why = r.state === 'failed' ? r.message : `not pulled within ${flags.timeout}`;
      ctx.out(`node/${node} failed: ${why}\n`);
    }
  }
  if (failed > 0) throw new PrepullError(`${failed} of ${nodes.length} nodes did not pull ${image}`);
}

/** Some node did not pull the image: exit 1 after the per-node lines. */
export class PrepullError extends Error {
  override readonly name = 'PrepullError';
}

/** Registers `prepull`. */
export function registerPrepull(program: Command, ctx: CliContext): void {
  program
    .command('prepull')
    .description('Pull a component or image onto the nodes matching a selector, before a rollout')
    .argument('<image>', 'a local .wasm file (uploaded), a hub reference or an OCI image')
    .option('-l, --selector <selector>', 'the nodes to pull onto (label selector; default: every node)')
    .option('--timeout <duration>', 'give up on nodes that have not pulled after this long', '5m')
    .action(async (image: string, flags: PrepullFlags) => runPrepull(ctx, image, flags));
}

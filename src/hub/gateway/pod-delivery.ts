/**
 * What each node is sent of its pods: on welcome its whole pod set (in parts when it would not fit one
 * frame), or, to a protocol-9 node that offered its position, only what changed since (`podResume`,
 * `pod-resume.ts`); then one upsert or delete per change that concerns it. A pod that cannot be sent
 * does not run there; its Event and a log line say why. An older node gets its pods without the
 * fields its protocol does not know (`pod-dialects.ts`), and without hashes.
 */
import { POD_RESUME_PROTOCOL, nodeReadyStatus } from '../../api/index.js';
import type { Logger, Node, Pod } from '../../api/index.js';
import { findCondition, jsonEqual, type EventRecorder } from '../reconcile/index.js';
import { BY_NODE_NAME, type Informer } from '../informers/index.js';
import { NODE_NOT_READY } from '../controllers/index.js';
import {
  nodeRelevant,
  podDeleteMessage,
  podSyncFrames,
  podUpsertFrame,
  type HubFrameLimits,
  type RefusedPod,
} from './pod-frames.js';
import type { NodeSession } from './session.js';
import { podIn } from './pod-dialects.js';
import { planPodResume, podHash } from './pod-resume.js';

/** Dependencies of pod delivery. */
export interface PodDeliveryDeps {
  /** The pods, indexed by node (`BY_NODE_NAME`). */
  pods: Informer<Pod>;
  /** The nodes (whether a pod's node is Ready). */
  nodes: Informer<Node>;
  sessionOf(node: string): NodeSession | undefined;
  frameLimits: HubFrameLimits;
  events: EventRecorder;
  logger: Logger;
}

/** How long the marks of one node's pods gather before its set goes again (one frame for all of them). */
const MARKED_GATHER_MS = 200;

/** Sends nodes their pods as the store changes. */
export class PodDelivery {
  private readonly resynced = new WeakSet<NodeSession>();
  /** Nodes Ready again whose pods were marked not Ready since: their sets go again once gathered. */
  private readonly markedLate = new Map<string, NodeJS.Timeout>();

  constructor(private readonly deps: PodDeliveryDeps) {}

  /**
   * A just-welcomed node's pod set: the changes since the `position` it offered when they can be
   * sent that way, else the whole set (`whole`: a node that asked for it again, `podResync`).
   */
  sync(session: NodeSession, node: string, position?: string): void {
    const pods = this.deps.pods.byIndex(BY_NODE_NAME, node).map((p) => podIn(p, session.protocol));
    const hashed = session.protocol >= POD_RESUME_PROTOCOL;
    if (hashed && position !== undefined) {
      const plan = planPodResume(pods, position, this.deps.frameLimits);
      if (plan.kind === 'resume') {
        this.deps.logger.debug({ node, upserts: plan.upserts, removes: plan.removes }, 'pod set resumed');
        return session.sendFrame(plan.frame);
      }
      this.deps.logger.info({ node, why: plan.why }, 'pod set not resumed; sending the whole set');
    }
    // The whole set, split into parts when it would not fit one frame (a node closes on a frame past its bound).
    const sync = podSyncFrames(pods, this.deps.frameLimits, hashed ? podHash : undefined);
    for (const frame of sync.frames) session.sendFrame(frame);
    if (sync.frames.length > 1)
      this.deps.logger.info({ node, frames: sync.frames.length }, 'pod set too big for one frame; sent in parts');
    for (const r of sync.refused) this.refusePod(node, r);
  }

  /**
   * The node's resumed set was not the hub's (`podResync`): it gets the whole set, once per session
   * (a resume is sent only on welcome, so a second request is a confused node, not a lost frame).
   */
  resync(session: NodeSession, node: string): void {
    if (this.resynced.has(session)) return;
    this.resynced.add(session);
    this.sync(session, node);
  }

  /**
   * A Node turned Ready again. When its session was welcomed before the node left Ready, the node was
   * only slow (its heartbeats late, its session open): the hub marked its pods not Ready meanwhile, and
   * the node, whose own view never changed, would never report them again — they would stay out of
   * their Services' endpoints. It gets its whole pod set again, on which every agent reports every pod's
   * status (Kubernetes' kubelet reconciles its statuses with the API server for the same reason). A
   * node that came back on a new session had its whole report on welcome.
   */
  readyAgain(old: Node, node: Node): void {
    if (nodeReadyStatus(old) === 'True' || nodeReadyStatus(node) !== 'True') return;
    const name = node.metadata.name ?? '';
    const session = this.deps.sessionOf(name);
    if (session?.welcomedAt === undefined) return;
    const since = findCondition(old.status?.conditions, 'Ready')?.lastTransitionTime;
    // Transition times are whole seconds: within the same second, the set goes again (it costs one frame).
    const leftAt = since === undefined ? Infinity : Date.parse(since) + 1000;
    if (!(session.welcomedAt < leftAt)) return;
    this.deps.logger.info({ node: name }, 'node Ready again on its open session: sending its pod set again');
    this.sync(session, name);
  }

  /** A pod was added or changed: its node gets it when what the node sees of it changed. */
  changed(old: Pod | undefined, pod: Pod): void {
    const node = pod.spec.nodeName;
    if (!node) return;
    if (old && markedNodeNotReady(old, pod)) this.markedAfterReady(node);
    if (old && old.spec.nodeName === node && jsonEqual(nodeRelevant(old), nodeRelevant(pod))) return;
    const session = this.deps.sessionOf(node);
    if (!session) return;
    const sent = podIn(pod, session.protocol);
    const hash = session.protocol >= POD_RESUME_PROTOCOL ? podHash(sent) : undefined;
    const upsert = podUpsertFrame(sent, this.deps.frameLimits, hash);
    if ('frame' in upsert) return session.sendFrame(upsert.frame);
    // As in a sync, a pod the node cannot be sent is not in its set: an older copy it runs stops.
    this.refusePod(node, upsert.refused);
    session.send(podDeleteMessage(pod));
  }

  /**
   * A pod was marked not Ready for its node's sake. When the node is Ready again by then, the mark came
   * late: the lifecycle controller marks a node's pods one write at a time, and the node's report on
   * its way back, read against pods not marked yet, changed nothing. The node's view never changed, so
   * it would never report them again: it gets its whole set again, on which it reports every pod.
   */
  private markedAfterReady(name: string): void {
    const node = this.deps.nodes.get(undefined, name);
    if (!node || nodeReadyStatus(node) !== 'True' || this.markedLate.has(name)) return;
    const timer = setTimeout(() => {
      this.markedLate.delete(name);
      const session = this.deps.sessionOf(name);
      const now = this.deps.nodes.get(undefined, name);
      if (session?.welcomedAt === undefined || !now || nodeReadyStatus(now) !== 'True') return;
      this.deps.logger.info(
        { node: name },
        'pods marked not Ready after their node was Ready again: sending its pod set again',
      );
      this.sync(session, name);
    }, MARKED_GATHER_MS).unref();
    this.markedLate.set(name, timer);
  }

  /** Stops what is pending (the gateway stops). */
  stop(): void {
    for (const timer of this.markedLate.values()) clearTimeout(timer);
    this.markedLate.clear();
  }

  /** A pod was deleted: its node stops it. */
  deleted(pod: Pod): void {
    const session = pod.spec.nodeName ? this.deps.sessionOf(pod.spec.nodeName) : undefined;
    session?.send(podDeleteMessage(pod));
  }

  /** A pod the node cannot be sent: it does not run there, and its Event and a log line say why. */
  private refusePod(node: string, r: RefusedPod): void {
    const ref = `${r.pod.metadata.namespace ?? ''}/${r.pod.metadata.name ?? ''}`;
    this.deps.logger.warn({ node, pod: ref, reason: r.reason }, r.message);
    void this.deps.events.record(r.pod, 'Warning', r.reason, `${r.message} (node ${node})`);
  }
}

/** Whether this change marked the pod not Ready because its node was not (`markPodsNotReady`). */
function markedNodeNotReady(old: Pod, pod: Pod): boolean {
  const marked = (p: Pod): boolean => {
    const ready = findCondition(p.status?.conditions, 'Ready');
    return ready?.status === 'False' && ready.reason === NODE_NOT_READY;
  };
  return marked(pod) && !marked(old);
}

/**
 * What the agent does with each frame from the hub — the welcome (name and mesh token), the pod set and
 * its changes, config objects, Services, and the requests the hub relays for users (logs, metrics,
 * exec, streams) — and with each event of its session (connected, gone, unreachable, refused). The
 * agent's parts are passed in; this file only routes frames and events to them.
 */
import type { HubToNode, Logger, NodeToHub } from '../api/index.js';
import { errorMessage } from '../api/index.js';
import type { NodeConfig } from './config/index.js';
import { runExec } from './exec.js';
import type { ImageReport } from './image-report.js';
import type { LogService } from './logs/log-service.js';
import type { NodeMetrics } from './metrics/index.js';
import type { ServiceMesh } from './mesh/index.js';
import { podRefOf } from './pods/pod-ref.js';
import type { PodWorkers } from './pods/pod-workers.js';
import type { SessionEvent } from './session/hub-session.js';
import type { LocalPodsGate } from './session/local-pods-gate.js';
import type { LocalState } from './state/local-state.js';
import type { NodeStreams } from './streams/index.js';

/** The agent's parts a hub frame may concern. */
export interface HubMessageTargets {
  nodeName: string;
  logger: Logger;
  mesh: ServiceMesh;
  state: LocalState;
  localPods: LocalPodsGate;
  workers: PodWorkers;
  config: NodeConfig;
  logs: LogService;
  streams: NodeStreams;
  metrics: NodeMetrics;
  images: ImageReport;
  /** Sends a frame to the hub (an exec's result). */
  send(frame: NodeToHub): boolean;
}

/** Handles one frame from the hub (frames are handled in order: the session awaits each). */
export async function handleHubMessage(t: HubMessageTargets, msg: HubToNode): Promise<void> {
  switch (msg.type) {
    case 'welcome':
      if (msg.nodeName !== t.nodeName)
        t.logger.warn({ hub: msg.nodeName, local: t.nodeName }, 'hub knows this node by another name');
      t.mesh.identity.nodeName = msg.nodeName;
      if (msg.meshToken !== t.mesh.identity.token) {
        t.mesh.identity.token = msg.meshToken;
        await t.state.saveSession({ meshToken: msg.meshToken, nodeName: msg.nodeName });
      }
      return;
    case 'podSync': {
      // Pods held from local state that the hub no longer binds here moved away while this node was
      // gone: forget them (their workers never started, so pod-workers' sync cannot).
      const bound = new Set(msg.pods.map((p) => podRefOf(p).uid));
      for (const held of t.localPods.take()) {
        const uid = podRefOf(held).uid;
        if (!bound.has(uid)) await t.state.deletePod(uid);
      }
      t.workers.sync(msg.pods);
      t.workers.reportAll();
      // Volumes of pods neither bound here nor still stopping (an earlier run's, a crash's) go.
      await t.config.volumes.sweep(new Set([...bound, ...t.workers.list().map((w) => w.uid)]));
      return;
    }
    case 'podUpsert':
      t.workers.upsert(msg.pod);
      return;
    case 'podDelete':
      t.workers.delete(msg.pod);
      return;
    case 'configSync':
    case 'configUpsert':
    case 'configDelete':
      // Before the pods that use them (the hub sends them first): a new pod finds its objects here.
      await t.config.handle(msg);
      return;
    case 'serviceSync':
      await t.mesh.update(msg.services);
      t.mesh.servicesKnown();
      await t.state.saveServices(msg.services);
      return;
    case 'logRequest':
      t.logs.handle(msg);
      return;
    case 'logCancel':
      t.logs.cancel(msg.requestId);
      return;
    case 'metricsRequest':
      t.metrics.answer(msg);
      return;
    case 'execRequest':
      // Not awaited: a long command must not hold up the hub's other messages.
      void runExec(t.workers, msg).then((result) => t.send(result));
      return;
    case 'streamOpen':
    case 'portOpen':
    case 'attachOpen':
    case 'streamInput':
    case 'streamResize':
    case 'streamClose':
    case 'streamCancel':
    case 'streamAck':
      t.streams.handle(msg);
      return;
    case 'revokedKeys':
      t.mesh.identity.revoked.update(msg.keys);
      return;
    case 'error':
      t.metrics.hubError(msg.message);
      return; // logged by the session
  }
}

/**
 * Handles one event of the hub session, then hands it to `forward` (the agent's owner: `main.ts` exits
 * on a refusal). A refused node first stops the pods it restored from local state while the hub was
 * away: they belong to the node that holds the name.
 */
export function handleSessionEvent(t: HubMessageTargets, ev: SessionEvent, forward: (ev: SessionEvent) => void): void {
  const forwardSafely = (): void => {
    try {
      forward(ev);
    } catch (err) {
      t.logger.warn({ err: errorMessage(err) }, 'session event listener failed');
    }
  };
  if (ev.type === 'connected') {
    t.metrics.connected(ev.welcome.protocol);
    t.images.connected(ev.welcome.protocol);
  }
  if (ev.type === 'disconnected') {
    t.metrics.disconnected();
    t.images.disconnected();
    t.logs.cancelAll();
    t.streams.cancelAll();
    t.config.resetSync();
  }
  // The hub's podSync follows its welcome: it, not the local copy, says what runs here (the copy
  // stays pending until that podSync arrives, in case the connection drops in between).
  if (ev.type === 'connected') t.localPods.welcomed();
  if (ev.type === 'unreachable' || ev.type === 'unauthorized')
    t.localPods.unreachable(`hub unreachable: ${ev.type === 'unreachable' ? ev.reason : ev.message}`);
  if (ev.type === 'refused') {
    t.localPods.drop();
    t.logger.error({ reason: ev.reason }, ev.message);
    void stopAllPods(t).then(forwardSafely);
    return;
  }
  forwardSafely();
}

async function stopAllPods(t: HubMessageTargets): Promise<void> {
  if (t.workers.list().length === 0) return;
  t.logger.warn({ pods: t.workers.list().length }, 'stopping pods restored from local state: this node was refused');
  t.workers.sync([]);
  await t.workers.idle();
}

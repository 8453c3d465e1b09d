/**
 * The edge-node agent: composes the hub session, the pod workers (with the probe manager that runs
 * their containers' probes), local state, the log service and the node's `ServiceMesh` (built before
 * the runtimes by whoever builds those, or here when none is given). The pod workers fill the mesh's
 * registry of local pods; the hub's welcome sets the mesh's identity (node name, mesh token).
 * Pods come back from local state when the hub cannot be reached (edge autonomy), but not before
 * the first dial has had its answer: a hub that welcomes the node sends the whole pod set anyway, and
 * one that refuses it as a duplicate (a copied data dir) must not find the copy already running the
 * other node's pods. So `start()` restores services at once and pods only when a dial fails, the hub
 * hangs up without a welcome, or `localRestoreDelayMs` passes without an answer. A node refused later
 * (after it restored pods while the hub was away) stops those pods before it reports the refusal.
 */
import { errorMessage, systemClock } from '../api/index.js';
import type { HubToNode, OutgoingHttpHandler, Pod, PodRef, PodStatus } from '../api/index.js';
import { meshDepsOf, type AgentDeps } from './agent-deps.js';
import { NodeConfig, defaultRunDir } from './config/index.js';
import { runExec } from './exec.js';
import { LogService } from './logs/log-service.js';
import { NodeStreams } from './streams/index.js';
import { NodeMetrics } from './metrics/index.js';
import { ServiceMesh } from './mesh/index.js';
import { ImageReport } from './image-report.js';
import { buildNodeInfo, detectCapacity, listNodeImages } from './node-info.js';
import { podRefOf } from './pods/pod-ref.js';
import { PodWorkers } from './pods/pod-workers.js';
import { ProbeManager } from './probes/index.js';
import { HubSession, type SessionEvent } from './session/hub-session.js';
import { LocalPodsGate } from './session/local-pods-gate.js';
import { LocalState } from './state/local-state.js';
import { fitEvent } from './wire-event.js';

export type { AgentDeps };

/** One edge node. */
export class Agent {
  private readonly deps: AgentDeps;
  private readonly state: LocalState;
  private readonly workers: PodWorkers;
  private readonly logs: LogService;
  private readonly streams: NodeStreams;
  private readonly mesh: ServiceMesh;
  private readonly session: HubSession;
  private readonly config: NodeConfig;
  private readonly metrics: NodeMetrics;
  /** Keeps the hub's copy of this node's image list current (the scheduler's ImageLocality). */
  private readonly images: ImageReport;
  private started = false;
  /** Pods from local state, held until the hub answers or cannot be reached. */
  private readonly localPods: LocalPodsGate;
  private refused = false;

  private constructor(deps: AgentDeps, state: LocalState, mesh: ServiceMesh, config: NodeConfig) {
    this.deps = deps;
    this.state = state;
    this.mesh = mesh;
    this.config = config;
    const logger = deps.logger;
    const capacity = detectCapacity(deps.capacity);
    this.images = new ImageReport({
      list: () => listNodeImages(deps.runtimes),
      send: (f) => this.session.send(f),
      logger: logger.child({ component: 'images' }),
    });
    this.session = new HubSession({
      hubUrl: deps.hubUrl,
      ...(deps.token !== undefined ? { token: deps.token } : {}),
      ...(deps.hubCa !== undefined ? { ca: deps.hubCa } : {}),
      ...(deps.hubTls ? { tls: deps.hubTls } : {}),
      logger: logger.child({ component: 'hub-session' }),
      backoff: deps.backoff?.session,
      nodeInfo: () => {
        const info = buildNodeInfo({
          name: deps.nodeName,
          labels: deps.labels,
          address: deps.address,
          meshPort: mesh.meshPort,
          runtimes: deps.runtimes,
          capacity,
        });
        this.images.offered(info.images ?? []);
        return info;
      },
      onMessage: (msg) => this.onHubMessage(msg),
      onEvent: (ev) => this.onSessionEvent(ev),
    });
    this.localPods = new LocalPodsGate(deps.localRestoreDelayMs ?? 10_000, (pods, why) =>
      this.restoreLocalPods(pods, why),
    );
    this.workers = new PodWorkers({
      runtimes: deps.runtimes,
      node: { nodeName: deps.nodeName, hostIP: deps.address },
      dataDir: deps.dataDir,
      clock: deps.clock ?? systemClock,
      logger: logger.child({ component: 'pod-workers' }),
      state,
      localPods: mesh.localPods,
      probes: new ProbeManager({ logger: logger.child({ component: 'probes' }) }),
      serviceEnv: (pod, runtime) => mesh.serviceEnv(pod, runtime),
      config,
      ...(deps.volumeCheckMs !== undefined ? { volumeCheckMs: deps.volumeCheckMs } : {}),
      backoff: deps.backoff?.restart,
      statusBatchMs: deps.backoff?.statusBatchMs,
      // A status change follows every pull and every container created (its component transpiled):
      // the image list may have changed too (checked, coalesced, sent only if it did).
      reportStatus: (pods) => {
        this.images.changed();
        return this.session.send({ type: 'podStatus', pods });
      },
      reportGone: (pods) => void this.session.send({ type: 'podGone', pods }),
      // Cut to the wire's caps: a message can quote a registry or a runtime, and an oversized frame is refused.
      reportEvent: (pod, eventType, reason, message) =>
        void this.session.send({ type: 'event', pod, eventType, ...fitEvent(reason, message) }),
    });
    // Level-triggered: a pod waiting for a ConfigMap or Secret, or mounting one, syncs when it changes.
    config.onChange((keys) => this.workers.configChanged(keys));
    this.logs = new LogService({
      dataDir: deps.dataDir,
      pods: this.workers,
      logger: logger.child({ component: 'logs' }),
      send: (chunk) => this.session.send(chunk),
      pollMs: deps.backoff?.logPollMs,
    });
    this.streams = new NodeStreams({
      workers: this.workers,
      send: (f) => void this.session.send(f),
      logger: logger.child({ component: 'streams' }),
      localHttp: (pod, port, req, res) => mesh.serveLocal(pod.namespace, pod.name, port, req, res),
    });
    this.metrics = new NodeMetrics({
      ...deps.metrics,
      pods: () => this.workers.list(),
      requests: mesh.requests,
      send: (f) => this.session.send(f),
      logger: logger.child({ component: 'metrics' }),
    });
    mesh.hold.onWake = (namespace, name) => this.metrics.wake(namespace, name);
  }

  /** Builds an agent (nothing listens or runs until `start`). */
  static async create(deps: AgentDeps): Promise<Agent> {
    if (deps.runtimes.length === 0) throw new Error('an agent needs at least one runtime');
    const state = await LocalState.create({
      dataDir: deps.dataDir,
      logger: deps.logger.child({ component: 'local-state' }),
    });
    // Before any pod: pods restored from local state find the ConfigMaps and Secrets they use.
    const config = await NodeConfig.create({
      dataDir: deps.dataDir,
      runDir: deps.runDir ?? defaultRunDir(deps.dataDir),
      ...(deps.configKeyFile !== undefined ? { keyFile: deps.configKeyFile } : {}),
      logger: deps.logger.child({ component: 'config' }),
    });
    const mesh = deps.mesh ?? (await ServiceMesh.create(meshDepsOf(deps)));
    return new Agent(deps, state, mesh, config);
  }

  /** The outgoing-call handler of this node's pods (the mesh's: hand it to the runtimes as their `outgoingHttp`). */
  get outgoingHttp(): OutgoingHttpHandler {
    return this.mesh.outgoingHttp;
  }

  /** The mesh port actually listened on. */
  get meshPort(): number {
    return this.mesh.meshPort;
  }

  /** True while the hub session is up and welcomed. */
  get connected(): boolean {
    return this.session.connected;
  }

  /** Current status of every pod on the node (for tests and diagnostics). */
  podStatuses(): Array<{ pod: PodRef; status: PodStatus }> {
    return this.workers.list().map((w) => ({ pod: w.ref, status: w.status() }));
  }

  /** NodePorts currently open. */
  nodePorts(): number[] {
    return this.mesh.nodePorts();
  }

  /** The local listeners for containers (Service ports, HTTP proxy) open now. */
  localListeners(): Array<{ address: string; port: number }> {
    return this.mesh.localListeners();
  }

  /** Overrides a container's readiness (undefined = as without a readiness probe); the node's probes set it themselves. */
  setContainerReadiness(podUid: string, container: string, ready: boolean | undefined): void {
    this.workers.get(podUid)?.setContainerReadiness(container, ready);
  }

  /** Restores local state (services, local ports, pods, mesh token), listens on the mesh port, then dials the hub. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const session = await this.state.loadSession();
    this.mesh.identity.token = session.meshToken;
    const state = this.state;
    await this.mesh.start({
      runtimes: this.deps.runtimes,
      localPorts: { load: () => state.loadLocalPorts(), save: (ports) => state.saveLocalPorts(ports) },
    });
    // Services before pods: the containers restored are created with their Services' env vars.
    const services = await this.state.loadServices();
    await this.mesh.update(services);
    if (services.length > 0) this.mesh.servicesKnown();
    const pods = await this.state.loadPods();
    this.localPods.hold(pods);
    await this.metrics.start();
    this.images.start();
    this.session.start();
  }

  /** True once the hub refused this node (another agent holds its name). */
  get refusedByHub(): boolean {
    return this.refused;
  }

  /** Edge autonomy: no hub answer, so run what local state says this node runs. */
  private restoreLocalPods(pods: Pod[], why: string): void {
    if (this.refused || !this.started) return;
    this.deps.logger.info({ pods: pods.length, why }, 'restoring pods from local state');
    for (const pod of pods) this.workers.upsert(pod);
  }

  /**
   * Closes the hub session and the listeners. Workloads are left to the runtimes' `close()` (called
   * by whoever owns them); the agent does not delete anything, so the next start restores the pods.
   */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.localPods.drop();
    this.logs.stop();
    this.streams.cancelAll();
    await this.metrics.stop();
    this.images.stop();
    await this.session.stop();
    await this.workers.stop();
    await this.mesh.stop();
    await this.state.flush();
    await this.config.flush();
  }

  /** Resolves when every pod worker is idle (tests). */
  async idle(): Promise<void> {
    await this.workers.idle();
  }

  private onSessionEvent(ev: SessionEvent): void {
    if (ev.type === 'connected') {
      this.metrics.connected(ev.welcome.protocol);
      this.images.connected(ev.welcome.protocol);
    }
    if (ev.type === 'disconnected') {
      this.metrics.disconnected();
      this.images.disconnected();
      this.logs.cancelAll();
      this.streams.cancelAll();
      this.config.resetSync();
    }
    // The hub's podSync follows its welcome: it, not the local copy, says what runs here (the copy
    // stays pending until that podSync arrives, in case the connection drops in between).
    if (ev.type === 'connected') this.localPods.welcomed();
    if (ev.type === 'unreachable' || ev.type === 'unauthorized')
      this.localPods.unreachable(`hub unreachable: ${ev.type === 'unreachable' ? ev.reason : ev.message}`);
    if (ev.type === 'refused') {
      this.refused = true;
      this.localPods.drop();
      this.deps.logger.error({ reason: ev.reason }, ev.message);
      // Pods restored while the hub was away belong to the node that holds the name: stop them first.
      void this.stopAllPods().then(() => this.forwardSessionEvent(ev));
      return;
    }
    this.forwardSessionEvent(ev);
  }

  private async stopAllPods(): Promise<void> {
    if (this.workers.list().length === 0) return;
    this.deps.logger.warn(
      { pods: this.workers.list().length },
      'stopping pods restored from local state: this node was refused',
    );
    this.workers.sync([]);
    await this.workers.idle();
  }

  private forwardSessionEvent(ev: SessionEvent): void {
    try {
      this.deps.onSessionEvent?.(ev);
    } catch (err) {
      this.deps.logger.warn({ err: errorMessage(err) }, 'session event listener failed');
    }
  }

  private async onHubMessage(msg: HubToNode): Promise<void> {
    switch (msg.type) {
      case 'welcome':
        if (msg.nodeName !== this.deps.nodeName)
          this.deps.logger.warn(
            { hub: msg.nodeName, local: this.deps.nodeName },
            'hub knows this node by another name',
          );
        this.mesh.identity.nodeName = msg.nodeName;
        if (msg.meshToken !== this.mesh.identity.token) {
          this.mesh.identity.token = msg.meshToken;
          await this.state.saveSession({ meshToken: msg.meshToken, nodeName: msg.nodeName });
        }
        return;
      case 'podSync': {
        // Pods held from local state that the hub no longer binds here moved away while this node was
        // gone: forget them (their workers never started, so pod-workers' sync cannot).
        const bound = new Set(msg.pods.map((p) => podRefOf(p).uid));
        for (const held of this.localPods.take()) {
          const uid = podRefOf(held).uid;
          if (!bound.has(uid)) await this.state.deletePod(uid);
        }
        this.workers.sync(msg.pods);
        this.workers.reportAll();
        // Volumes of pods neither bound here nor still stopping (an earlier run's, a crash's) go.
        await this.config.volumes.sweep(new Set([...bound, ...this.workers.list().map((w) => w.uid)]));
        return;
      }
      case 'podUpsert':
        this.workers.upsert(msg.pod);
        return;
      case 'podDelete':
        this.workers.delete(msg.pod);
        return;
      case 'configSync':
      case 'configUpsert':
      case 'configDelete':
        // Before the pods that use them (the hub sends them first): a new pod finds its objects here.
        await this.config.handle(msg);
        return;
      case 'serviceSync':
        await this.mesh.update(msg.services);
        this.mesh.servicesKnown();
        await this.state.saveServices(msg.services);
        return;
      case 'logRequest':
        this.logs.handle(msg);
        return;
      case 'logCancel':
        this.logs.cancel(msg.requestId);
        return;
      case 'metricsRequest':
        this.metrics.answer(msg);
        return;
      case 'execRequest':
        // Not awaited: a long command must not hold up the hub's other messages.
        void runExec(this.workers, msg).then((result) => this.session.send(result));
        return;
      case 'streamOpen':
      case 'portOpen':
      case 'attachOpen':
      case 'streamInput':
      case 'streamResize':
      case 'streamClose':
      case 'streamCancel':
      case 'streamAck':
        this.streams.handle(msg);
        return;
      case 'revokedKeys':
        this.mesh.identity.revoked.update(msg.keys);
        return;
      case 'error':
        this.metrics.hubError(msg.message);
        return; // logged by the session
    }
  }
}

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
 * The pod-set position is kept in the data dir too (`session/pod-position-file.ts`): a restarted agent
 * offers the stamps of the pods its local state still holds as stamped, and the hub resumes from them.
 */
import { systemClock } from '../api/index.js';
import type { OutgoingHttpHandler, Pod, PodRef, PodStatus } from '../api/index.js';
import { meshDepsOf, type AgentDeps } from './agent-deps.js';
import { NodeConfig, defaultRunDir } from './config/index.js';
import { handleHubMessage, handleSessionEvent, type HubMessageTargets } from './hub-messages.js';
import { LogService } from './logs/log-service.js';
import { NodeStreams } from './streams/index.js';
import { NodeMetrics } from './metrics/index.js';
import { ServiceMesh } from './mesh/index.js';
import { ImageReport } from './image-report.js';
import { buildNodeInfo, detectCapacity, listNodeImages } from './node-info.js';
import { PodWorkers } from './pods/pod-workers.js';
import { ProbeManager } from './probes/index.js';
import { HubSession } from './session/hub-session.js';
import { LocalPodsGate } from './session/local-pods-gate.js';
import { PodPosition } from './session/pod-position.js';
import { PodPositionFile } from './session/pod-position-file.js';
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
  /** The parts the hub's frames go to (hub-messages.ts). */
  private readonly targets: HubMessageTargets;
  /** The pods the hub sent, with their stamps, and where they are kept between processes. */
  private readonly podPosition = new PodPosition();
  private readonly positionFile: PodPositionFile;

  private constructor(deps: AgentDeps, state: LocalState, mesh: ServiceMesh, config: NodeConfig) {
    this.deps = deps;
    this.state = state;
    this.mesh = mesh;
    this.config = config;
    const logger = deps.logger;
    const capacity = detectCapacity(deps.capacity);
    this.positionFile = new PodPositionFile({
      dataDir: deps.dataDir,
      nodeName: deps.nodeName,
      logger: logger.child({ component: 'local-state' }),
    });
    this.podPosition.onChange(() => this.positionFile.save(() => this.podPosition.saved()));
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
      podPosition: this.podPosition,
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
      onMessage: (msg) => handleHubMessage(this.targets, msg),
      onEvent: (ev) => {
        if (ev.type === 'refused') this.refused = true;
        handleSessionEvent(this.targets, ev, (e) => this.deps.onSessionEvent?.(e));
      },
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
    this.targets = {
      nodeName: deps.nodeName,
      logger,
      mesh,
      state,
      config,
      localPods: this.localPods,
      workers: this.workers,
      logs: this.logs,
      streams: this.streams,
      metrics: this.metrics,
      images: this.images,
      send: (f) => this.session.send(f),
    };
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
    await this.restorePosition(pods);
    this.localPods.hold(pods);
    await this.metrics.start();
    this.images.start();
    this.session.start();
  }

  /** True once the hub refused this node (another agent holds its name). */
  get refusedByHub(): boolean {
    return this.refused;
  }

  /** Takes back the kept pod-set position, as far as `pods` (local state) still holds what it describes. */
  private async restorePosition(pods: Pod[]): Promise<void> {
    const saved = await this.positionFile.load();
    if (!saved) return;
    const restored = this.podPosition.restore(saved, pods);
    this.deps.logger.info(
      { ...restored, hubProtocol: saved.hubProtocol },
      'pod-set position restored (offered to the hub for a resume)',
    );
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
    await this.positionFile.flush();
    await this.config.flush();
    await this.config.releaseRunDir();
  }

  /** Resolves when every pod worker is idle (tests). */
  async idle(): Promise<void> {
    await this.workers.idle();
  }
}

/**
 * The hub: one process holding the API server, the store, the scheduler, the controllers and the
 * node gateway. `Hub.create()` wires them; `start()` listens; `stop()` drains and closes. The parts
 * are built in hub-*.ts: the store (hub-backend), controllers (hub-controllers), leadership
 * (hub-leadership), node gateway (hub-gateway), node certificates (hub-node-certificates), the blob
 * copy between hubs (hub-blob-peers), the API (hub-api), the listener (hub-listen), client files.
 */
import { join } from 'node:path';
import type { Logger, Token } from '../api/index.js';
import { TOKEN_GROUP, errorMessage, systemClock } from '../api/index.js';
import { caHash } from '../pki/index.js';
import { acquireDataDirLock, prepareDataDir, type DataDirLock } from '../durable/index.js';
import {
  TokenAuth,
  TokenObjectAuthenticator,
  createRbac,
  nodeRestriction,
  ensureJoinToken,
  readOrCreateSecret,
  reconcileBootstrapPolicy,
} from './auth/index.js';
import { BlobStore } from './blobs/index.js';
import { clusterInformers, hubHousekeeping, nodeLifecycle, type Runner } from './hub-controllers.js';
import { HubLeadership, leadershipPlan, newHubIdentity } from './hub-leadership.js';
import { closeHubServer, listenHub, type HubListener } from './hub-listen.js';
import { DEFAULT_MAX_HEARTBEATS_PER_SECOND, HeartbeatPace, type NodeGateway } from './gateway/index.js';
import { hubGateway } from './hub-gateway.js';
import type { PodStreamUpgrades } from './server/streams/index.js';
import { hubApi } from './hub-api.js';
import { keyringReloader, openHubBackend } from './hub-backend.js';
import { attachBlobPeers } from './hub-blob-peers.js';
import { hubNodeCertificates } from './hub-node-certificates.js';
import { BY_NODE_NAME, InformerFactory, nodeNameOf } from './informers/index.js';
import { HubMetrics, LoopWatchdog, NodeMetricsFrames, UsageStore } from './metrics/index.js';
import { EventRateLimit, EventRecorder } from './reconcile/index.js';
import { ObjectRegistry } from './registry/index.js';
import type { createApiApp } from './server/index.js';
import { CurrentTerm, SharedUsage, controlPlaneStatuses, fenceObjectAPI, storeMembers } from './leader/index.js';
import type { Store } from './store/index.js';
import { keyringPath, loadHubKeyring } from './encryption/index.js';
import { DEFAULT_HANDSHAKE_GATE_LIMITS, HubTls } from './tls/index.js';
import { hubClientFiles, writeHubClientFiles, type HubClientFiles } from './hub-client-files.js';

export type { HubOptions, HubStoreOptions } from './hub-options.js';
import type { HubOptions } from './hub-options.js';

export class Hub {
  private listener: HubListener | undefined;
  private stopped = false;

  private constructor(
    readonly options: HubOptions,
    readonly store: Store,
    readonly api: ObjectRegistry,
    readonly auth: TokenAuth,
    private readonly informers: InformerFactory,
    private readonly gateway: NodeGateway,
    /** Loops every hub runs for itself (leader or not). */
    private readonly runners: Runner[],
    private readonly leadership: HubLeadership,
    private readonly app: ReturnType<typeof createApiApp>,
    private readonly lock: DataDirLock,
    /** The hub's TLS (CA, serving certificate); undefined with `insecureHttp`. */
    readonly tls: HubTls | undefined,
    /** kubectl's exec and attach over WebSocket (`…/pods/{name}/exec|attach`), beside the node gateway's upgrades. */
    private readonly streams: PodStreamUpgrades,
  ) {}

  /**
   * Wires a hub on `options.dataDir`, which it locks first: a second hub on the same dir fails here with
   * DataDirInUseError ("data dir … in use by pid N") before it opens anything.
   */
  static async create(options: HubOptions): Promise<Hub> {
    const { dataDir, logger } = options;
    prepareDataDir(dataDir, (message) => logger.warn({ dataDir }, message));
    const lock = acquireDataDirLock(dataDir, { program: 'edge-hub' });
    try {
      return await Hub.#create(options, lock);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  static async #create(options: HubOptions, lock: DataDirLock): Promise<Hub> {
    const { dataDir, logger } = options;
    const clock = options.clock ?? systemClock;
    const election = leadershipPlan(options.leaderElection, options.store?.kind === 'etcd');
    // One rate for every Event the hub records itself, leader terms included (reconcile/event-rate.ts);
    // made before anything is opened, so a rate that cannot be met is refused with nothing to close.
    const eventLimit = new EventRateLimit(logger.child({ component: 'events' }), options.eventRate, () => clock.now());
    // Secrets are encrypted at rest: only the wrapper below the registry sees ciphertext.
    const keyring = await loadHubKeyring(dataDir, options.encryptionKeyFile, logger.child({ component: 'encryption' }));
    // Created first: the store's writes, the queues and the gateway report to it (its gauges read lazily).
    const metrics: HubMetrics = new HubMetrics({
      connectedNodes: () => gateway.connectedNodes().length,
      watchers: () => api.watchStats,
      usage: () => ({ ...localUsage.stats, refusedWakes: nodeMetrics.stats.refusedWakes }),
      relay: () => gateway.relay.stats,
    });
    // Secrets are encrypted above either backend: etcd holds ciphertext too (hub-backend.ts). A store
    // failed for good stops the hub (`fatal`): it could write nothing and its watchers would hear nothing.
    const built: { hub?: Hub } = {};
    const opened = await openHubBackend(
      options,
      keyring,
      metrics.controlPlane.store,
      logger.child({ component: 'store' }),
      (err) => void built.hub?.fatal(err),
    );
    const { etcd: etcdStore, backend, store } = opened;
    const api = new ObjectRegistry({ store, clock, logger: logger.child({ component: 'registry' }) });
    await api.ensureNamespace('default');
    // The built-in roles exist (and grant what they should) before the first request is decided.
    await reconcileBootstrapPolicy(api, logger.child({ component: 'rbac' }));
    const joinBearer = await ensureJoinToken(api, dataDir, logger.child({ component: 'tokens' }));
    const informers = new InformerFactory(api, logger.child({ component: 'informer' }));
    const tokens = new TokenObjectAuthenticator(informers.for<Token>(`${TOKEN_GROUP}/v1`, 'Token'), clock);
    const auth = await TokenAuth.create({ dataDir, logger, tokens, joinToken: joinBearer });
    const tls = options.insecureHttp
      ? undefined
      : await HubTls.create({
          ...options.tls,
          dataDir,
          host: options.host,
          clock,
          logger: logger.child({ component: 'tls' }),
        });
    const blobs = await BlobStore.create({
      dir: join(dataDir, 'blobs'),
      maxBytes: options.blobMaxUploadBytes,
      quotaBytes: options.blobStoreMaxBytes,
    });
    const meshToken = await readOrCreateSecret(join(dataDir, 'mesh.token'));

    const cluster = clusterInformers(informers);
    const { pods, nodes, services, configMaps } = cluster;
    pods.addIndex(BY_NODE_NAME, nodeNameOf);
    const caPem = tls?.servingCaPem;
    const rbac = createRbac(informers, {
      ...(caPem !== undefined ? { caHash: caHash(caPem) } : {}),
      forNode: nodeRestriction({ podsOnNode: (node) => pods.byIndex(BY_NODE_NAME, node) }),
    });
    const log = (component: string): Logger => logger.child({ component });
    metrics.controlPlane.eventsDropped(() => eventLimit.dropped);
    const events = new EventRecorder({ api, clock, logger, component: 'edge-hub', limit: eventLimit });

    // The nodes' latest usage (metrics.k8s.io, top, the autoscaler), fed by their gateway sessions.
    const localUsage = new UsageStore({ pods, nodes, clock, logger: log('metrics') });
    const nodeMetrics = new NodeMetricsFrames({ usage: localUsage, services, clock, logger: log('metrics') });
    const identity = newHubIdentity();
    // On etcd, the usage of nodes on the other hubs too (for the leader's HPA, and top on any hub).
    const sharedUsage = etcdStore && new SharedUsage({ store, identity, local: localUsage, logger: log('metrics') });
    const usage = sharedUsage ?? localUsage;
    const controllerDeps = { api, informers: cluster, events, blobs, clock, log, options, usage };
    const sweepTerm = new CurrentTerm(); // the lifecycle sweep writes only while this hub leads (issue 19)
    // How often this hub's nodes beat: slower for a fleet past the heartbeat budget, with a grace period to match.
    const heartbeatPace = new HeartbeatPace({
      baseSeconds: options.heartbeatIntervalSeconds ?? 2,
      maxPerSecond: options.maxHeartbeatsPerSecond ?? DEFAULT_MAX_HEARTBEATS_PER_SECOND,
      now: () => clock.now(),
    });
    metrics.controlPlane.heartbeatPace(() => heartbeatPace.seconds);
    const lifecycle = nodeLifecycle({
      ...controllerDeps,
      sweepApi: fenceObjectAPI(api, sweepTerm),
      graceScale: () => heartbeatPace.graceScale(),
    });
    const runners = hubHousekeeping(controllerDeps);
    if (sharedUsage) runners.push({ start: () => sharedUsage.start(), stop: () => sharedUsage.stop() });
    // On etcd the keyring file is reloaded while the hub runs: an online key rotation (encryption/rotate-online.ts).
    const keyringReload =
      etcdStore && keyringReloader(opened, keyringPath(dataDir, options.encryptionKeyFile), log('encryption'));
    if (keyringReload) runners.push(keyringReload);
    const leadership = new HubLeadership({
      plan: election,
      etcd: etcdStore,
      store,
      identity,
      controllers: controllerDeps,
      lifecycle,
      sweepTerm,
      metrics,
      logger,
      eventLimit,
      connectedNodes: (): string[] => gateway.connectedNodes(),
      advertiseUrl: options.advertiseUrl,
      keyNames: () => backend.currentKeyring.names,
    });
    // Several hubs on etcd with TLS: each content store is copied to the live peers (issue 19).
    const peers = attachBlobPeers({
      tls,
      presence: leadership.presence,
      blobs,
      identity,
      clock,
      logger: log('blob-peers'),
    });
    if (peers) runners.push(peers);
    // Per-node identity (TLS only): node certificates signed from CSRs, names bound to keys in the store.
    const nodeCertificates = hubNodeCertificates({
      tls,
      api,
      nodes,
      configMaps,
      clock,
      logger: log('node-certificates'),
      lifetimeSeconds: options.nodeCertLifetimeSeconds,
    });
    const gateway = hubGateway({
      api,
      auth,
      cluster,
      lifecycle,
      events,
      clock,
      logger: log('gateway'),
      meshToken,
      hubList: leadership.hubList,
      relayPeerHub: (node) => leadership.presence?.hubOf(node),
      nodeCertificates,
      options,
      metrics: nodeMetrics,
      frameMeter: metrics.controlPlane.frames,
      heartbeatPace,
    });
    const watchdog = new LoopWatchdog({ logger: log('event-loop'), onBlock: (s) => metrics.loopBlocked(s) });
    runners.push({ start: () => watchdog.start(), stop: () => Promise.resolve(watchdog.stop()) });
    const storeHealth = storeMembers(etcdStore, store);
    const { app, streams } = hubApi({
      api,
      auth,
      metrics,
      rbac,
      blobs,
      // Nodes ask which peers of their zone hold a component before downloading it (issue 20).
      blobSourceNodes: nodes,
      metricsApi: { usage, pods, nodes },
      nodeMetrics: nodeMetrics.proxy,
      caBundlePem: tls?.servingCaPem,
      // Who leads: the lock is a raw etcd key, no API object, so it is shown here, in the log and /metrics.
      readyzVerbose: () => leadership.readyzText(),
      componentStatuses: () =>
        controlPlaneStatuses(leadership.controlPlaneView(gateway.connectedNodes().length, storeHealth)),
      ...(nodeCertificates ? { nodeCertificates } : {}),
      options,
      gateway,
      log,
    });
    const hub = new Hub(options, store, api, auth, informers, gateway, runners, leadership, app, lock, tls, streams);
    built.hub = hub;
    metrics.controlPlane.handshakeGate(() => hub.listener?.acceptor?.gate);
    return hub;
  }

  /** Syncs the caches, starts the controllers, and listens. Resolves with the bound address. */
  async start(): Promise<{ host: string; port: number; url: string }> {
    await this.informers.start();
    for (const r of this.runners) r.start();
    this.leadership.start();
    const listener = await listenHub({
      fetch: this.app.fetch,
      tls: this.tls,
      gateway: this.gateway,
      streams: this.streams,
      port: this.options.port,
      host: this.options.host,
      logger: this.options.logger,
      handshakeGate: {
        ...DEFAULT_HANDSHAKE_GATE_LIMITS,
        maxInFlight: this.options.maxHandshakesInFlight ?? DEFAULT_HANDSHAKE_GATE_LIMITS.maxInFlight,
      },
    });
    const { address: addr, url, wildcard } = listener;
    this.listener = listener;
    // `admin.kubeconfig` for edgectl and kubectl, and `join.token` pinning the CA (hub-client-files.ts).
    await writeHubClientFiles(this.clientFiles, url, this.tls?.servingCaPem, this.auth);
    // Nodes of the other hubs learn this address; a wildcard one is no address to dial (--advertise-url).
    if (!wildcard) this.leadership.nodeUrl ??= url;
    this.options.logger.info({ url, dataDir: this.options.dataDir }, 'edge-hub listening');
    return { host: addr.address, port: addr.port, url };
  }

  /** True while this hub runs the scheduler and controllers. */
  get isLeader(): boolean {
    return this.leadership.leading;
  }

  /** This hub's identity in the leader election. */
  get identity(): string {
    return this.leadership.identity;
  }

  /** The leader this hub last saw (itself while leading; undefined without election or before it knows). */
  get leader(): string | undefined {
    return this.leadership.leader;
  }

  /** Paths of the files the hub writes for its clients. */
  get clientFiles(): HubClientFiles {
    return hubClientFiles(this.options.dataDir);
  }

  /**
   * The hub cannot go on (`err`): it stops (its watches end, its nodes' sessions close, so clients and
   * nodes see it gone instead of a hub that answers and never changes), then `options.onFatal` is told.
   */
  private async fatal(err: Error): Promise<void> {
    if (this.stopped) return;
    this.options.logger.error({ err: err.message }, 'the hub cannot go on: stopping');
    await this.stop().catch((e: unknown) =>
      this.options.logger.error({ err: errorMessage(e) }, 'stopping after a fatal error failed'),
    );
    this.options.onFatal?.(err);
  }

  /** Stops accepting work, closes node sessions and the store. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // A leader hands over first (its lease released: another hub takes over at once); controllers drain
    // (a hub without election: their queued reconciles still reach the store), then the caches stop.
    await this.leadership.stepDown();
    await Promise.all(this.runners.map((r) => r.stop()));
    await this.leadership.presence?.stop();
    this.informers.stop();
    this.tls?.stop();
    await this.gateway.stop();
    this.streams.close();
    if (this.listener) await closeHubServer(this.listener);
    await this.store.close();
    this.lock.release();
  }
}

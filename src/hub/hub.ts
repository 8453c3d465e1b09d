/**
 * The hub: one process holding the API server, the store, the scheduler, the controllers and the
 * node gateway. `Hub.create()` wires them; `start()` listens; `stop()` drains and closes.
 */
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { join } from 'node:path';
import type { Logger, Token } from '../api/index.js';
import { TOKEN_GROUP, systemClock } from '../api/index.js';
import { caHash } from '../pki/index.js';
import { acquireDataDirLock, prepareDataDir, type DataDirLock } from '../durable/index.js';
import {
  TokenAuth,
  TokenObjectAuthenticator,
  blobRead,
  createRbac,
  nodeRestriction,
  ensureJoinToken,
  readOrCreateSecret,
  reconcileBootstrapPolicy,
} from './auth/index.js';
import { BlobPeers, BlobStore, HubPeerIdentity } from './blobs/index.js';
import { clusterInformers, hubHousekeeping, nodeLifecycle, type Runner } from './hub-controllers.js';
import { HubLeadership, leadershipPlan, newHubIdentity } from './hub-leadership.js';
import { closeHubServer, listenHub } from './hub-listen.js';
import { NodeGateway } from './gateway/index.js';
import { PodStreamUpgrades } from './server/streams/index.js';
import {
  CertificateAuthenticator,
  DEFAULT_NODE_CERT_LIFETIME_SECONDS,
  NodeCertificateSigner,
  NodeCredentials,
  RevokedNodeKeys,
} from './identity/index.js';
import { BY_NODE_NAME, InformerFactory, nodeNameOf } from './informers/index.js';
import { HubMetrics, InstrumentedStore, LoopWatchdog, NodeMetricsFrames, UsageStore } from './metrics/index.js';
import { EventRecorder } from './reconcile/index.js';
import { ObjectRegistry } from './registry/index.js';
import { BlobEncodings, StreamLimiter, createApiApp } from './server/index.js';
import { CurrentTerm, SharedUsage, controlPlaneStatuses, fenceObjectAPI, storeMembers } from './leader/index.js';
import { EtcdStore, type Store } from './store/index.js';
import {
  ENCRYPTED_PREFIXES,
  EncryptingStore,
  KeyringReloader,
  keyringPath,
  loadHubKeyring,
  openHubStore,
} from './encryption/index.js';
import { HubTls, writeAdminKubeconfig, writeJoinTokenFile } from './tls/index.js';
import { HUB_VERSION } from './version.js';

export type { HubOptions, HubStoreOptions } from './hub-options.js';
import type { HubOptions } from './hub-options.js';

export class Hub {
  private server: Server | HttpsServer | undefined;
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
    // Secrets are encrypted at rest: only the wrapper below the registry sees ciphertext.
    const keyring = await loadHubKeyring(dataDir, options.encryptionKeyFile, logger.child({ component: 'encryption' }));
    // Created first: the store's writes, the queues and the gateway report to it (its gauges read lazily).
    const metrics: HubMetrics = new HubMetrics({
      connectedNodes: () => gateway.connectedNodes().length,
      watchers: () => api.watchStats,
      usage: () => ({ ...localUsage.stats, refusedWakes: nodeMetrics.stats.refusedWakes }),
      relay: () => gateway.relay.stats,
    });
    const storeLogger = logger.child({ component: 'store' });
    // Secrets are encrypted above either backend: etcd holds ciphertext too (hubs share one keyring file).
    const etcdStore =
      options.store?.kind === 'etcd'
        ? await EtcdStore.create({
            endpoints: options.store.endpoints,
            tls: options.store.tls,
            keyPrefix: options.store.keyPrefix,
            logger: storeLogger,
          })
        : undefined;
    const backend = etcdStore
      ? new EncryptingStore(etcdStore, keyring, { prefixes: ENCRYPTED_PREFIXES, logger: storeLogger })
      : await openHubStore(dataDir, keyring, storeLogger);
    const store = new InstrumentedStore(backend, metrics.controlPlane.store);
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
    const { pods, nodes, services, endpoints, configMaps, secrets } = cluster;
    pods.addIndex(BY_NODE_NAME, nodeNameOf);
    const caPem = tls?.servingCaPem;
    const rbac = createRbac(informers, {
      ...(caPem !== undefined ? { caHash: caHash(caPem) } : {}),
      forNode: nodeRestriction({ podsOnNode: (node) => pods.byIndex(BY_NODE_NAME, node) }),
    });
    const events = new EventRecorder({ api, clock, logger, component: 'edge-hub' });
    const log = (component: string): Logger => logger.child({ component });

    // The nodes' latest usage (metrics.k8s.io, top, the autoscaler), fed by their gateway sessions.
    const localUsage = new UsageStore({ pods, nodes, clock, logger: log('metrics') });
    const nodeMetrics = new NodeMetricsFrames({ usage: localUsage, services, clock, logger: log('metrics') });
    const identity = newHubIdentity();
    // On etcd, the usage of nodes on the other hubs too (for the leader's HPA, and top on any hub).
    const sharedUsage = etcdStore && new SharedUsage({ store, identity, local: localUsage, logger: log('metrics') });
    const usage = sharedUsage ?? localUsage;
    const controllerDeps = { api, informers: cluster, events, blobs, clock, log, options, usage };
    const sweepTerm = new CurrentTerm(); // the lifecycle sweep writes only while this hub leads (issue 19)
    const lifecycle = nodeLifecycle({ ...controllerDeps, sweepApi: fenceObjectAPI(api, sweepTerm) });
    const runners = hubHousekeeping(controllerDeps);
    if (sharedUsage) runners.push({ start: () => sharedUsage.start(), stop: () => sharedUsage.stop() });
    // On etcd the keyring file is reloaded while the hub runs: an online key rotation (encryption/rotate-online.ts).
    const keyringReload =
      etcdStore &&
      new KeyringReloader({
        path: keyringPath(dataDir, options.encryptionKeyFile),
        store: backend,
        logger: log('encryption'),
      });
    if (keyringReload) runners.push({ start: () => keyringReload.start(), stop: () => keyringReload.stop() });
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
      connectedNodes: (): string[] => gateway.connectedNodes(),
      advertiseUrl: options.advertiseUrl,
      keyNames: () => backend.currentKeyring.names,
    });
    // Several hubs on etcd with TLS: each content store is copied to the live peers (issue 19).
    const peerIdentity =
      tls && leadership.presence
        ? new HubPeerIdentity({ ca: () => tls.clusterCa, trust: tls.servingCaPem, identity, clock })
        : undefined;
    if (peerIdentity) runners.push({ start: () => undefined, stop: () => peerIdentity.close() });
    if (peerIdentity)
      blobs.attachPeers(
        new BlobPeers({
          store: blobs,
          peers: () =>
            (leadership.presence?.peers() ?? []).flatMap((p) => (p.live && p.url !== undefined ? [p.url] : [])),
          dispatcher: () => peerIdentity.dispatcher(),
          logger: log('blob-peers'),
        }),
      );
    // Per-node identity (TLS only): node certificates signed from CSRs, names bound to keys in the store.
    const credentials = new NodeCredentials(api);
    const nodeCertificates = tls && {
      certificates: new CertificateAuthenticator(credentials, { clock }),
      signer: new NodeCertificateSigner({
        ca: () => tls.clusterCa,
        credentials,
        clock,
        logger: log('node-certificates'),
        lifetimeSeconds: options.nodeCertLifetimeSeconds,
      }),
      // Deleted nodes' keys, for the other nodes' mesh ports (the hub refuses them through `credentials`).
      revokedKeys: new RevokedNodeKeys({
        api,
        nodes,
        configMaps,
        lifetimeSeconds: options.nodeCertLifetimeSeconds ?? DEFAULT_NODE_CERT_LIFETIME_SECONDS,
        clock,
        logger: log('node-certificates'),
      }),
    };
    const gateway = new NodeGateway({
      api,
      auth,
      pods,
      nodes,
      services,
      endpoints,
      scaleTargets: { hpas: cluster.hpas, deployments: cluster.deployments, replicaSets: cluster.replicaSets },
      gateways: cluster.gateways,
      httpRoutes: cluster.httpRoutes,
      gatewayClasses: cluster.gatewayClasses,
      referenceGrants: cluster.referenceGrants,
      configMaps,
      secrets,
      lifecycle,
      events,
      clock,
      logger: log('gateway'),
      meshToken,
      hubList: leadership.hubList,
      ...(nodeCertificates
        ? { certificates: nodeCertificates.certificates, revokedKeys: nodeCertificates.revokedKeys }
        : {}),
      heartbeatIntervalSeconds: options.heartbeatIntervalSeconds ?? 2,
      metrics: nodeMetrics,
      frameMeter: metrics.controlPlane.frames,
      ...options.gateway,
    });
    const streamLimits = new StreamLimiter({
      watchesPerUser: options.maxWatchesPerUser,
      logFollowsPerUser: options.maxLogFollowsPerUser,
      podStreamsPerUser: options.maxPodStreamsPerUser,
    });
    const watchdog = new LoopWatchdog({ logger: log('event-loop'), onBlock: (s) => metrics.loopBlocked(s) });
    runners.push({ start: () => watchdog.start(), stop: () => Promise.resolve(watchdog.stop()) });
    const storeHealth = storeMembers(etcdStore, store);
    const app = createApiApp({
      api,
      auth,
      metrics,
      // A plain-HTTP hub's nodes have no certificates: they fetch blobs with their bootstrap token.
      rbac: options.insecureHttp
        ? {
            ...rbac,
            authorize: (who, what) =>
              who.kind === 'bootstrap' && blobRead(what) !== undefined ? { allowed: true } : rbac.authorize(who, what),
          }
        : rbac,
      blobs,
      // Blobs travel brotli-compressed to nodes that ask, encoded once and kept beside the store.
      blobEncodings: new BlobEncodings({ dir: blobs.encodedDir }),
      // Nodes ask which peers of their zone hold a component before downloading it (issue 20).
      blobSourceNodes: nodes,
      logs: gateway,
      exec: gateway,
      logger: log('api'),
      version: { gitVersion: HUB_VERSION },
      streamLimits,
      metricsApi: { usage, pods, nodes },
      nodeMetrics: nodeMetrics.proxy,
      caBundlePem: tls?.servingCaPem,
      // Who leads: the lock is a raw etcd key, no API object, so it is shown here, in the log and /metrics.
      readyzVerbose: () => leadership.readyzText(),
      componentStatuses: () =>
        controlPlaneStatuses(leadership.controlPlaneView(gateway.connectedNodes().length, storeHealth)),
      ...(nodeCertificates ? { nodeCertificates } : {}),
    });
    const streams = new PodStreamUpgrades({
      fetch: app.fetch,
      exec: gateway,
      streams: gateway,
      logs: gateway,
      logger: log('streams'),
    });
    return new Hub(options, store, api, auth, informers, gateway, runners, leadership, app, lock, tls, streams);
  }

  /** Syncs the caches, starts the controllers, and listens. Resolves with the bound address. */
  async start(): Promise<{ host: string; port: number; url: string }> {
    await this.informers.start();
    for (const r of this.runners) r.start();
    this.leadership.start();
    const {
      server,
      address: addr,
      url,
      wildcard,
    } = await listenHub({
      fetch: this.app.fetch,
      tls: this.tls,
      gateway: this.gateway,
      streams: this.streams,
      port: this.options.port,
      host: this.options.host,
      logger: this.options.logger,
    });
    this.server = server;
    await this.writeClientFiles(url);
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
  get clientFiles(): { kubeconfig: string; joinToken: string } {
    return {
      kubeconfig: join(this.options.dataDir, 'admin.kubeconfig'),
      joinToken: join(this.options.dataDir, 'join.token'),
    };
  }

  /** `admin.kubeconfig` for edgectl and kubectl, and `join.token` pinning the CA (K10<hash>::<secret>). */
  private async writeClientFiles(url: string): Promise<void> {
    const caPem = this.tls?.servingCaPem;
    await writeAdminKubeconfig(this.clientFiles.kubeconfig, { server: url, caPem, token: this.auth.adminToken });
    await writeJoinTokenFile(
      this.clientFiles.joinToken,
      this.auth.joinToken,
      caPem === undefined ? undefined : caHash(caPem),
    );
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
    if (this.server) await closeHubServer(this.server);
    await this.store.close();
    this.lock.release();
  }
}

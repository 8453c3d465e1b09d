/**
 * How a hub takes part in running the control loops (src/hub/leader): alone on SQLite it leads from
 * start to stop; on etcd it is a candidate in an election (on by default there), and only the leader
 * runs the scheduler and controllers. Each leadership is one term whose controllers write through a
 * fence that closes the moment the term ends, and see the shared informers through handlers that go
 * quiet then. Every hub on etcd also publishes the nodes connected to it, for the leader's node
 * lifecycle (`HubPresence`).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../api/index.js';
import { nodeReadyStatus, rfc3339 } from '../api/index.js';
import type { NodeLifecycleController } from './controllers/index.js';
import { leaderControllers, termInformers, type HubControllerDeps } from './hub-controllers.js';
import type { ControlPlaneView, CurrentTerm, StoreMemberHealth } from './leader/index.js';
import {
  DEFAULT_LEADER_ELECTION,
  HubPresence,
  LeaderElector,
  LeaderMetrics,
  LeadershipTerms,
  fenceObjectAPI,
  invalidTimings,
  type LeaderElectionTimings,
} from './leader/index.js';
import { observeControllers, type HubMetrics } from './metrics/index.js';
import { EventRecorder, type EventRateLimit } from './reconcile/index.js';
import type { EtcdStore, Store } from './store/index.js';

/** A hub's identity: hostname and a random suffix, as kube-controller-manager's. */
export function newHubIdentity(): string {
  return `${hostname()}_${randomBytes(4).toString('hex')}`;
}

/** Whether this hub stands in an election, and its timings. */
export interface LeadershipPlan {
  elect: boolean;
  timings: LeaderElectionTimings;
}

/**
 * The election this hub's options ask for (`--leader-elect*`: on by default with etcd); throws on an
 * election without etcd or with timings that cannot work, before the hub opens anything.
 */
export function leadershipPlan(
  election: ({ enabled?: boolean } & Partial<LeaderElectionTimings>) | undefined,
  etcd: boolean,
): LeadershipPlan {
  const timings = { ...DEFAULT_LEADER_ELECTION, ...election };
  const elect = election?.enabled ?? etcd;
  if (elect && !etcd) throw new Error('leader election needs the etcd store (--store etcd): a SQLite hub is alone');
  const invalid = elect ? invalidTimings(timings) : undefined;
  if (invalid !== undefined) throw new Error(`leader election: ${invalid}`);
  return { elect, timings };
}

/** What a hub's leadership is built from. */
export interface HubLeadershipDeps {
  plan: LeadershipPlan;
  /** The etcd backend (its leader lock), when the hub runs on etcd. */
  etcd: EtcdStore | undefined;
  /** The store presence records go to. */
  store: Store;
  /** What the leader's control loops are built from (each term fences its `api` and `informers`). */
  controllers: HubControllerDeps;
  /** The node lifecycle controller: built once per hub, its sweep runs while the hub leads. */
  lifecycle: NodeLifecycleController;
  /** The fence of the lifecycle sweep's writes: entered into each term as it starts. */
  sweepTerm: CurrentTerm;
  metrics: HubMetrics;
  /** The hub's logger (the terms' Event recorders log through it). */
  logger: Logger;
  /** The hub's event rate, which the terms' Event recorders share with the hub's. */
  eventLimit: EventRateLimit;
  /** Nodes with a session on this hub (published for the leader on etcd). */
  connectedNodes(): string[];
  /** This hub's identity (`newHubIdentity()`). */
  identity: string;
  /** The address nodes reach this hub at (`--advertise-url`); else set by the hub once it listens. */
  advertiseUrl: string | undefined;
  /** The names of the hub's encryption keys, published with its presence (an online rotation waits on them). */
  keyNames?: () => readonly string[];
}

/** This hub's part in running the control loops: its identity, election, terms and presence. */
export class HubLeadership {
  /** This hub's identity in the election, its presence and usage records (see `newHubIdentity`). */
  readonly identity: string;
  /** Undefined without election: the hub leads from start to stop. */
  readonly elector: LeaderElector | undefined;
  readonly terms: LeadershipTerms;
  /** Publishes the nodes connected here for the leader (several hubs on etcd only). */
  readonly presence: HubPresence | undefined;
  readonly #hubLogger: Logger;
  readonly #hubListeners = new Set<(urls: readonly string[]) => void>();
  /** The address nodes reach this hub at, published with its presence (undefined: not advertised). */
  nodeUrl: string | undefined;
  /**
   * The cluster's hubs as nodes reach them (this one and the live ones on the same etcd), for the
   * gateway to hand its nodes; empty without etcd.
   */
  readonly hubList = {
    list: (): readonly string[] => this.presence?.hubs() ?? [],
    onChange: (listener: (urls: readonly string[]) => void): void => void this.#hubListeners.add(listener),
  };

  constructor(deps: HubLeadershipDeps) {
    const { plan, etcd, controllers, lifecycle, metrics } = deps;
    const { api, clock, log } = controllers;
    const cluster = controllers.informers;
    const leaderMetrics = new LeaderMetrics(metrics.registry);
    leaderMetrics.init();
    this.#hubLogger = deps.logger;
    this.identity = deps.identity;
    this.nodeUrl = deps.advertiseUrl;
    const logger = log('leader');
    // One term per leadership: its controllers write through a fence that closes the moment the term
    // ends and see the shared informers through handlers that go quiet then (src/hub/leader).
    this.terms = new LeadershipTerms({
      logger,
      startTerm: (term) => {
        const fenced = fenceObjectAPI(api, term);
        const loops = leaderControllers({
          ...controllers,
          api: fenced,
          informers: termInformers(cluster, term),
          events: new EventRecorder({
            api: fenced,
            clock,
            logger: deps.logger,
            component: 'edge-hub',
            limit: deps.eventLimit,
          }),
        });
        observeControllers(loops, metrics.controlPlane);
        leaderMetrics.leading();
        for (const r of loops) r.start();
        deps.sweepTerm.enter(term);
        lifecycle.start();
        return { stop: () => Promise.all([lifecycle.stop(), ...loops.map((r) => r.stop())]) };
      },
    });
    const identity = this.identity;
    this.elector =
      plan.elect && etcd
        ? new LeaderElector({
            lock: etcd.leaderLock('edgeplane-hub', identity, plan.timings.leaseDurationSeconds),
            identity,
            ...plan.timings,
            logger,
            onStartedLeading: () => this.terms.lead(),
            onStoppedLeading: () => {
              // Fence first: nothing this hub's controllers do from now on reaches the store.
              this.terms.follow();
              leaderMetrics.following();
            },
            onNewLeader: (holder) => logger.info({ leader: holder ?? '(none)', self: identity }, 'leader observed'),
          })
        : undefined;
    if (etcd)
      // A node turned Ready has just said hello to some hub (its markReady): a sign of life for this
      // hub's lifecycle controller too, before that hub's next presence record says so.
      cluster.nodes.addHandler({
        onUpdate: (old, cur) => {
          if (nodeReadyStatus(old) !== 'True' && nodeReadyStatus(cur) === 'True')
            lifecycle.heartbeat(cur.metadata.name ?? '');
        },
      });
    this.presence = etcd
      ? new HubPresence({
          store: deps.store,
          identity,
          periodMs: plan.timings.retryPeriodSeconds * 1000,
          leaseMs: 3 * plan.timings.retryPeriodSeconds * 1000,
          localNodes: () => deps.connectedNodes(),
          url: () => this.nodeUrl,
          ...(deps.keyNames ? { keyNames: deps.keyNames } : {}),
          leaderSince: () => {
            const since = this.terms.leadingSince;
            return since === undefined ? undefined : rfc3339(since);
          },
          onHubs: (urls) => {
            log('presence').info({ hubs: urls }, 'hubs of the cluster');
            for (const l of this.#hubListeners) l(urls);
          },
          onAlive: (node) => lifecycle.heartbeat(node),
          onGone: (node) => lifecycle.disconnected(node),
          logger: log('presence'),
        })
      : undefined;
  }

  /** Publishes presence, and stands for election (or leads at once, alone). */
  start(): void {
    this.presence?.start();
    if (this.elector) {
      this.#hubLogger.info({ identity: this.identity }, 'leader election: candidate for running the controllers');
      this.elector.start();
    } else this.terms.lead();
  }

  /**
   * Hands over: a leader releases its lease (another hub takes over at once), then the current term
   * ends; a hub without election lets its controllers drain (their queued reconciles still reach the
   * store).
   */
  async stepDown(): Promise<void> {
    await this.elector?.stop();
    await this.terms.stop({ drain: this.elector === undefined });
  }

  /** True while this hub runs the scheduler and controllers. */
  get leading(): boolean {
    return this.terms.leading;
  }

  /** The leader this hub last saw (itself without election; undefined before it knows). */
  get leader(): string | undefined {
    return this.elector ? this.elector.holder : this.identity;
  }

  /** What this hub knows of the control plane (`componentstatuses`), with the store's members. */
  controlPlaneView(connectedNodes: number, store: () => Promise<StoreMemberHealth[]>): ControlPlaneView {
    return {
      identity: this.identity,
      leadingSince: this.terms.leadingSince,
      leader: this.leader,
      url: this.nodeUrl,
      connectedNodes,
      peers: this.presence?.peers() ?? [],
      store,
    };
  }

  /** `/readyz?verbose`: Kubernetes' `[+]check ok` lines, with who runs the controllers. */
  readyzText(): string {
    const role = this.leading ? 'leader' : 'follower';
    return [
      '[+]ping ok',
      `[+]leader-election ok (this hub: ${this.identity}, ${role}; leader: ${this.leader ?? '(none)'})`,
      'readyz check passed',
      '',
    ].join('\n');
  }
}

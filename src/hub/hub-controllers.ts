/**
 * The hub's control loops: the informers they share and the scheduler and controllers built over
 * them, with their tunables. `hub.ts` wires these to the API server and the gateway.
 */
import type {
  Canary,
  Clock,
  ClusterRole,
  ConfigMap,
  DaemonSet,
  Deployment,
  Endpoints,
  Gateway,
  GatewayClass,
  HTTPRoute,
  ReferenceGrant,
  HorizontalPodAutoscaler,
  Job,
  Logger,
  Node,
  Pod,
  ReplicaSet,
  Secret,
  Service,
} from '../api/index.js';
import { CANARY_GROUP, GATEWAY_GROUP } from '../api/index.js';
import { ClusterRoleAggregationController } from './auth/index.js';
import { BlobGarbageCollector, type BlobStore } from './blobs/index.js';
import {
  CanaryController,
  ConfigRolloutController,
  DaemonSetController,
  DeploymentController,
  EndpointsController,
  EventTtlController,
  GarbageCollector,
  HpaController,
  JobController,
  NodeLifecycleController,
  RouteController,
  type ZoneEvictionOptions,
  ReplicaSetController,
} from './controllers/index.js';
import type { Informer, InformerFactory } from './informers/index.js';
import type { UsageSource } from './metrics/index.js';
import type { EventRecorder } from './reconcile/index.js';
import type { ObjectAPI } from './registry/index.js';
import { Scheduler } from './scheduler/index.js';
import { termInformer, type LeaderTerm } from './leader/index.js';

/** The informers of the kinds the control loops and the gateway watch. */
export interface ClusterInformers {
  pods: Informer<Pod>;
  nodes: Informer<Node>;
  services: Informer<Service>;
  endpoints: Informer<Endpoints>;
  replicaSets: Informer<ReplicaSet>;
  deployments: Informer<Deployment>;
  daemonSets: Informer<DaemonSet>;
  jobs: Informer<Job>;
  configMaps: Informer<ConfigMap>;
  secrets: Informer<Secret>;
  clusterRoles: Informer<ClusterRole>;
  hpas: Informer<HorizontalPodAutoscaler>;
  gateways: Informer<Gateway>;
  httpRoutes: Informer<HTTPRoute>;
  gatewayClasses: Informer<GatewayClass>;
  referenceGrants: Informer<ReferenceGrant>;
  canaries: Informer<Canary>;
}

/** One informer per kind, from `factory` (which shares one watch per collection). */
export function clusterInformers(factory: InformerFactory): ClusterInformers {
  return {
    pods: factory.for<Pod>('v1', 'Pod'),
    nodes: factory.for<Node>('v1', 'Node'),
    services: factory.for<Service>('v1', 'Service'),
    endpoints: factory.for<Endpoints>('v1', 'Endpoints'),
    replicaSets: factory.for<ReplicaSet>('apps/v1', 'ReplicaSet'),
    deployments: factory.for<Deployment>('apps/v1', 'Deployment'),
    daemonSets: factory.for<DaemonSet>('apps/v1', 'DaemonSet'),
    jobs: factory.for<Job>('batch/v1', 'Job'),
    configMaps: factory.for<ConfigMap>('v1', 'ConfigMap'),
    secrets: factory.for<Secret>('v1', 'Secret'),
    clusterRoles: factory.for<ClusterRole>('rbac.authorization.k8s.io/v1', 'ClusterRole'),
    hpas: factory.for<HorizontalPodAutoscaler>('autoscaling/v2', 'HorizontalPodAutoscaler'),
    gateways: factory.for<Gateway>(`${GATEWAY_GROUP}/v1`, 'Gateway'),
    httpRoutes: factory.for<HTTPRoute>(`${GATEWAY_GROUP}/v1`, 'HTTPRoute'),
    gatewayClasses: factory.for<GatewayClass>(`${GATEWAY_GROUP}/v1`, 'GatewayClass'),
    referenceGrants: factory.for<ReferenceGrant>(`${GATEWAY_GROUP}/v1beta1`, 'ReferenceGrant'),
    canaries: factory.for<Canary>(`${CANARY_GROUP}/v1beta1`, 'Canary'),
  };
}

/** Something the hub starts with itself and stops (draining) when it stops. */
export interface Runner {
  start(): void;
  stop(): Promise<unknown>;
}

/** What the control loops are built from. */
export interface HubControllerDeps {
  api: ObjectAPI;
  informers: ClusterInformers;
  events: EventRecorder;
  blobs: BlobStore;
  clock: Clock;
  /** The metrics intake the HorizontalPodAutoscaler reads (none: HPAs report their metrics missing). */
  usage?: UsageSource;
  /** A logger for one component. */
  log: (component: string) => Logger;
  /** The control loops' tunables (the fields of the same names in `HubOptions`). */
  options: {
    nodeGracePeriodSeconds?: number;
    podEvictionTimeoutSeconds?: number;
    nodeEviction?: ZoneEvictionOptions;
    eventTtlSeconds?: number;
    blobGcGraceSeconds?: number;
    hpaSyncPeriodSeconds?: number;
  };
}

/** What the node lifecycle controller is built from (the hub's shared informers, never a term's). */
export type NodeLifecycleDeps = Pick<HubControllerDeps, 'api' | 'events' | 'clock' | 'log' | 'options'> & {
  informers: Pick<ClusterInformers, 'pods' | 'nodes'>;
  /** The sweep's writes, fenced by the current leadership term (see `CurrentTerm`). */
  sweepApi?: ObjectAPI;
  /** The gateway's heartbeat pace scales the grace period (`NodeLifecycleOptions.graceScale`). */
  graceScale?: () => number;
};

/**
 * The node lifecycle controller. It is built once per hub, not per leadership term: the gateway
 * reports every heartbeat to it (and other hubs' nodes through HubPresence), so a hub that becomes
 * leader already knows which nodes are alive; only its sweep (Ready=Unknown, taints, evictions) runs
 * while the hub leads (`start()`/`stop()` with the term).
 */
export function nodeLifecycle(deps: NodeLifecycleDeps): NodeLifecycleController {
  const { api, events, clock, log, options } = deps;
  return new NodeLifecycleController({
    api,
    ...(deps.sweepApi ? { sweepApi: deps.sweepApi } : {}),
    nodes: deps.informers.nodes,
    pods: deps.informers.pods,
    events: events.withComponent('node-controller'),
    clock,
    logger: log('node-lifecycle'),
    gracePeriodSeconds: options.nodeGracePeriodSeconds ?? 10,
    ...(deps.graceScale ? { graceScale: deps.graceScale } : {}),
    evictionTimeoutSeconds: options.podEvictionTimeoutSeconds ?? 30,
    ...options.nodeEviction,
  });
}

/**
 * Loops every hub runs for itself, leader or not: the garbage collection of its own content store
 * (blobs are per hub).
 */
export function hubHousekeeping(deps: HubControllerDeps): Runner[] {
  const { pods, replicaSets, deployments, daemonSets, jobs } = deps.informers;
  return [
    new BlobGarbageCollector({
      blobs: deps.blobs,
      objects: () => [
        ...pods.list(),
        ...replicaSets.list(),
        ...deployments.list(),
        ...daemonSets.list(),
        ...jobs.list(),
      ],
      clock: deps.clock,
      logger: deps.log('blob-gc'),
      graceSeconds: deps.options.blobGcGraceSeconds,
    }),
  ];
}

/**
 * The scheduler and every controller that only the leader runs, in start order. With several hubs
 * they are built anew for each leadership term, over the term's fenced API and gated informers
 * (`src/hub/leader`); the node lifecycle controller is apart (`nodeLifecycle`).
 */
export function leaderControllers(deps: HubControllerDeps): Runner[] {
  const { api, events, clock, log, options } = deps;
  const { pods, nodes, services, endpoints, replicaSets, deployments, daemonSets, jobs, configMaps, secrets } =
    deps.informers;
  return [
    new Scheduler({
      api,
      pods,
      nodes,
      events: events.withComponent('default-scheduler'),
      clock,
      logger: log('scheduler'),
    }),
    new ReplicaSetController({
      api,
      pods,
      replicaSets,
      events: events.withComponent('replicaset-controller'),
      clock,
      logger: log('replicaset'),
    }),
    new DeploymentController({
      api,
      deployments,
      replicaSets,
      events: events.withComponent('deployment-controller'),
      clock,
      logger: log('deployment'),
    }),
    new DaemonSetController({
      api,
      daemonSets,
      pods,
      nodes,
      events: events.withComponent('daemonset-controller'),
      clock,
      logger: log('daemonset'),
    }),
    new JobController({ api, jobs, pods, events: events.withComponent('job-controller'), clock, logger: log('job') }),
    new EndpointsController({ api, services, pods, nodes, endpoints, clock, logger: log('endpoints') }),
    new GarbageCollector({
      api,
      // A Canary owns its primary Deployment, its Services and its HTTPRoute.
      informers: [
        deployments,
        replicaSets,
        daemonSets,
        jobs,
        pods,
        deps.informers.canaries,
        services,
        deps.informers.httpRoutes,
      ],
      clock,
      logger: log('gc'),
    }),
    new ConfigRolloutController({ api, deployments, configMaps, secrets, clock, logger: log('config-rollout') }),
    new EventTtlController({ api, clock, logger: log('event-ttl'), ttlSeconds: options.eventTtlSeconds }),
    new ClusterRoleAggregationController({
      api,
      clusterRoles: deps.informers.clusterRoles,
      clock,
      logger: log('rbac'),
    }),
    new HpaController({
      ...{ api, pods, services, hpas: deps.informers.hpas, usage: deps.usage, clock, logger: log('hpa') },
      events: events.withComponent('horizontal-pod-autoscaler'),
      syncPeriodSeconds: options.hpaSyncPeriodSeconds,
    }),
    new RouteController({
      ...{ api, services, nodes, gateways: deps.informers.gateways, httpRoutes: deps.informers.httpRoutes },
      ...{ gatewayClasses: deps.informers.gatewayClasses, referenceGrants: deps.informers.referenceGrants },
      ...{ clock, logger: log('routes') },
    }),
    new CanaryController({
      ...{ api, deployments, services, endpoints, pods, httpRoutes: deps.informers.httpRoutes },
      canaries: deps.informers.canaries,
      ...{ usage: deps.usage, events: events.withComponent('flagger'), clock, logger: log('canary') },
    }),
  ];
}

/** `informers` as one leadership term's controllers see them: same caches, handlers quiet after the term. */
export function termInformers(informers: ClusterInformers, term: LeaderTerm): ClusterInformers {
  const i = informers;
  return {
    pods: termInformer(i.pods, term),
    nodes: termInformer(i.nodes, term),
    services: termInformer(i.services, term),
    endpoints: termInformer(i.endpoints, term),
    replicaSets: termInformer(i.replicaSets, term),
    deployments: termInformer(i.deployments, term),
    daemonSets: termInformer(i.daemonSets, term),
    jobs: termInformer(i.jobs, term),
    configMaps: termInformer(i.configMaps, term),
    secrets: termInformer(i.secrets, term),
    clusterRoles: termInformer(i.clusterRoles, term),
    hpas: termInformer(i.hpas, term),
    gateways: termInformer(i.gateways, term),
    httpRoutes: termInformer(i.httpRoutes, term),
    gatewayClasses: termInformer(i.gatewayClasses, term),
    referenceGrants: termInformer(i.referenceGrants, term),
    canaries: termInformer(i.canaries, term),
  };
}

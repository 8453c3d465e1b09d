/**
 * The hub's control loops: the informers they share and the scheduler and controllers built over
 * them, with their tunables. `hub.ts` wires these to the API server and the gateway.
 */
import type {
  Clock,
  ClusterRole,
  ConfigMap,
  DaemonSet,
  Deployment,
  Endpoints,
  HorizontalPodAutoscaler,
  Job,
  Logger,
  Node,
  Pod,
  ReplicaSet,
  Secret,
  Service,
} from '../api/index.js';
import { ClusterRoleAggregationController } from './auth/index.js';
import { BlobGarbageCollector, type BlobStore } from './blobs/index.js';
import {
  ConfigRolloutController,
  DaemonSetController,
  DeploymentController,
  EndpointsController,
  EventTtlController,
  GarbageCollector,
  HpaController,
  JobController,
  NodeLifecycleController,
  type ZoneEvictionOptions,
  ReplicaSetController,
} from './controllers/index.js';
import type { Informer, InformerFactory } from './informers/index.js';
import type { UsageSource } from './metrics/index.js';
import type { EventRecorder } from './reconcile/index.js';
import type { ObjectAPI } from './registry/index.js';
import { Scheduler } from './scheduler/index.js';

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

/**
 * The scheduler and every controller, in start order; the node lifecycle controller is also returned
 * on its own, since the gateway reports node liveness to it.
 */
export function hubControllers(deps: HubControllerDeps): { lifecycle: NodeLifecycleController; runners: Runner[] } {
  const { api, events, blobs, clock, log, options } = deps;
  const { pods, nodes, services, endpoints, replicaSets, deployments, daemonSets, jobs, configMaps, secrets } =
    deps.informers;
  const lifecycle = new NodeLifecycleController({
    api,
    nodes,
    pods,
    events: events.withComponent('node-controller'),
    clock,
    logger: log('node-lifecycle'),
    gracePeriodSeconds: options.nodeGracePeriodSeconds ?? 10,
    evictionTimeoutSeconds: options.podEvictionTimeoutSeconds ?? 30,
    ...options.nodeEviction,
  });
  const runners: Runner[] = [
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
      informers: [deployments, replicaSets, daemonSets, jobs, pods],
      clock,
      logger: log('gc'),
    }),
    new ConfigRolloutController({ api, deployments, configMaps, secrets, clock, logger: log('config-rollout') }),
    new EventTtlController({ api, clock, logger: log('event-ttl'), ttlSeconds: options.eventTtlSeconds }),
    new BlobGarbageCollector({
      blobs,
      objects: () => [
        ...pods.list(),
        ...replicaSets.list(),
        ...deployments.list(),
        ...daemonSets.list(),
        ...jobs.list(),
      ],
      clock,
      logger: log('blob-gc'),
      graceSeconds: options.blobGcGraceSeconds,
    }),
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
    lifecycle,
  ];
  return { lifecycle, runners };
}

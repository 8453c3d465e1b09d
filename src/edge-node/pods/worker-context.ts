/**
 * What a pod worker shares with the helpers that start and end its containers
 * (`container-start.ts`, `container-exit.ts`): its dependencies, identity and a few controls.
 */
import type { Clock, Container, KeySelector, Logger, Pod, Runtime, VolumeMountConfig } from '../../api/index.js';
import type { ProbeManager } from '../probes/index.js';
import type { NodeFacts } from './container-config.js';
import type { RestartBackoffOptions } from './container-slot.js';
import type { PodKey } from './pod-ref.js';

/** Why a worker terminates: `deleted` = graceful deletion (report `podGone`), `removed` = dropped from the desired set. */
export type TerminationReason = 'deleted' | 'removed';

/** What a container gets from its ConfigMaps, Secrets and volumes (see `edge-node/config`). */
export type ContainerConfigParts =
  | {
      /** Env from `envFrom`; the container's own `env` goes over it. */
      envFrom: Record<string, string>;
      /** A `configMapKeyRef`/`secretKeyRef`'s value; undefined for an optional one that is missing. */
      keyRef(kind: 'ConfigMap' | 'Secret', sel: KeySelector): string | undefined;
      /** `wasi:config/store` entries. */
      config: Record<string, string>;
      mounts: VolumeMountConfig[];
      /** Event messages (`InvalidEnvironmentVariableNames`). */
      warnings: string[];
    }
  /** A non-optional reference that is missing: the container waits in `CreateContainerConfigError`. */
  | { missing: string };

/** The node's config feature as the pod workers use it (implemented by `edge-node/config`'s `NodeConfig`). */
export interface PodConfigSource {
  /** Makes or refreshes the pod's volumes (each sync pass: updated objects reach mounted files); what is missing. */
  syncVolumes(pod: Pod): Promise<string | undefined>;
  /** Resolves a container's env references and mounts, just before it is created. */
  prepareContainer(pod: Pod, container: Container): Promise<ContainerConfigParts>;
  /** The pod's `imagePullSecrets` (Docker config documents) and a warning naming unusable ones. */
  pullSecrets(pod: Pod): { secrets: string[]; warning?: string };
  /** The first emptyDir over its `sizeLimit` (the eviction message), if any. */
  overLimit(pod: Pod): Promise<string | undefined>;
  /** The pod's containers are gone: remove its volumes. */
  podGone(uid: string): Promise<void>;
}

/** Dependencies of a pod worker. */
export interface PodWorkerDeps {
  pod: Pod;
  runtimes: ReadonlyMap<string, Runtime>;
  node: NodeFacts;
  dataDir: string;
  clock: Clock;
  logger: Logger;
  backoff: RestartBackoffOptions;
  /** Runs the containers' liveness, readiness and startup probes. */
  probes: ProbeManager;
  /**
   * Env vars the node adds to a container about to be created on `runtime` (its Services and HTTP
   * proxy); the container's own env wins over them.
   */
  serviceEnv?(pod: Pod, runtime: Runtime): Promise<Record<string, string>>;
  /** ConfigMaps, Secrets and volumes; without it a pod that uses them waits in CreateContainerConfigError. */
  config?: PodConfigSource;
  /** Whether the pod is an endpoint (ready or not) of a Service the node knows: its deletion settles first. */
  backsService?(): boolean;
  /** The pod's status may have changed. */
  onStatus(): void;
  /** Every container is stopped and removed; the worker is done. */
  onTerminated(reason: TerminationReason): void;
  /** Records an Event about the pod (Pulled, Created, Started, Killing, BackOff, Failed, Unhealthy …). */
  onEvent?(type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/** A pod worker as its container helpers see it. Only the worker's sync loop calls these helpers. */
export interface WorkerContext {
  readonly ref: PodKey;
  readonly uid: string;
  readonly deps: PodWorkerDeps;
  /** Aborted when the pod terminates (cancels pulls). */
  readonly signal: AbortSignal;
  /** The latest desired pod. */
  pod(): Pod;
  terminating(): boolean;
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** Asks for another sync pass (from a timer or a callback). */
  kick(): void;
  /** Grace period of a stop, from the pod spec. */
  graceMs(): number;
}

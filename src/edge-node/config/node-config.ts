/**
 * The node's config feature as the agent and the pod workers use it: the encrypted store fed by the
 * hub's `configSync`/`configUpsert`/`configDelete` frames, the volume materialiser, env and
 * `wasi:config` resolution and pull secrets — one object behind the pod workers' `PodConfigSource`.
 */
import path from 'node:path';
import { errorMessage, MAX_SYNC_CONFIG_OBJECTS } from '../../api/index.js';
import type {
  ConfigObject,
  Container,
  HubToNode,
  KeySelector,
  Logger,
  Pod,
  VolumeMountConfig,
} from '../../api/index.js';
import { resolveConfigRefs, envReferences } from './config-env.js';
import { ConfigStore, type ConfigKind } from './config-store.js';
import { loadOrCreateNodeKey } from './node-key.js';
import { PodVolumes } from './pod-volumes.js';
import { resolvePullSecrets } from './pull-secrets.js';
import { prepareRunDir, releaseRunDir, runDirProblem } from './run-dir.js';

/** Dependencies of {@link NodeConfig.create}. */
export interface NodeConfigDeps {
  dataDir: string;
  /** Memory-backed dir for configMap/secret/Memory volumes (see `run-dir.ts`). */
  runDir: string;
  /** The node key's file (default `<data-dir>/config/node.key`). */
  keyFile?: string;
  logger: Logger;
}

/** What a container gets from its config references: everything resolved, or what is missing. */
export type ContainerConfigParts =
  | {
      envFrom: Record<string, string>;
      keyRef(kind: ConfigKind, sel: KeySelector): string | undefined;
      /** `wasi:config/store` entries (Wasm). */
      config: Record<string, string>;
      mounts: VolumeMountConfig[];
      warnings: string[];
    }
  | { missing: string };

type ConfigFrame = Extract<HubToNode, { type: 'configSync' | 'configUpsert' | 'configDelete' }>;

/** Most objects one gathered `configSync` may hold (all its parts): beyond it the sync is refused. */
const MAX_GATHERED = 4 * MAX_SYNC_CONFIG_OBJECTS;

/** The node's ConfigMaps, Secrets and volumes. */
export class NodeConfig {
  private parts: ConfigObject[] | undefined;
  private runDirChecked: Promise<string | undefined> | undefined;

  readonly volumes: PodVolumes;

  private constructor(
    readonly store: ConfigStore,
    private readonly deps: NodeConfigDeps,
  ) {
    this.volumes = new PodVolumes({
      diskDir: path.join(deps.dataDir, 'volumes'),
      memoryDir: path.join(deps.runDir, 'volumes'),
      memoryProblem: () => this.memoryProblem(),
      lookup: store,
      warn: (message) => deps.logger.warn({}, message),
    });
  }

  static async create(deps: NodeConfigDeps): Promise<NodeConfig> {
    const dir = path.join(deps.dataDir, 'config');
    const key = await loadOrCreateNodeKey(deps.keyFile ?? path.join(dir, 'node.key'));
    const store = await ConfigStore.open({ dir: path.join(dir, 'objects'), key, logger: deps.logger });
    await prepareRunDir(deps.runDir).catch((err: unknown) =>
      deps.logger.warn({ runDir: deps.runDir, err: errorMessage(err) }, 'cannot create the run dir'),
    );
    const nc = new NodeConfig(store, deps);
    const problem = await nc.memoryProblem();
    if (problem !== undefined) deps.logger.warn({ runDir: deps.runDir }, problem);
    return nc;
  }

  /** Applies one config frame from the hub (a split `configSync` once its last part is in). */
  async handle(msg: ConfigFrame): Promise<void> {
    switch (msg.type) {
      case 'configSync': {
        const gathered = [...(this.parts ?? []), ...msg.objects];
        if (gathered.length > MAX_GATHERED) {
          this.parts = undefined;
          throw new Error(`configSync holds more than ${MAX_GATHERED} objects; refused`);
        }
        if (msg.more === true) {
          this.parts = gathered;
          return;
        }
        this.parts = undefined;
        await this.store.replaceAll(gathered);
        return;
      }
      case 'configUpsert':
        await this.store.upsert(msg.object);
        return;
      case 'configDelete':
        await this.store.remove(msg.kind, msg.namespace, msg.name);
        return;
    }
  }

  /** Drops a half-received `configSync` (the connection it came on is gone). */
  resetSync(): void {
    this.parts = undefined;
  }

  /** Calls `listener` with the keys (`kind/namespace/name`) of objects that changed. */
  onChange(listener: (keys: ReadonlySet<string>) => void): () => void {
    return this.store.onChange((keys) => listener(new Set(keys)));
  }

  /** Whether a change of `keys` concerns `pod` (its env, volumes or pull secrets). */
  affects(pod: Pod, keys: ReadonlySet<string>): boolean {
    const ns = pod.metadata.namespace ?? 'default';
    if (this.volumes.uses(pod, keys)) return true;
    if ((pod.spec.imagePullSecrets ?? []).some((r) => keys.has(`Secret/${ns}/${r.name}`))) return true;
    return pod.spec.containers.some((c) => envReferences(c).some((r) => keys.has(`${r.kind}/${ns}/${r.name}`)));
  }

  /** Makes or refreshes the pod's volumes; says what is missing, if anything. */
  async syncVolumes(pod: Pod): Promise<string | undefined> {
    return (await this.volumes.sync(pod))?.missing;
  }

  /** The config parts of a container about to be created (after `syncVolumes`). */
  async prepareContainer(pod: Pod, container: Container): Promise<ContainerConfigParts> {
    const missingVolume = await this.syncVolumes(pod);
    if (missingVolume !== undefined) return { missing: missingVolume };
    const refs = resolveConfigRefs(pod.metadata.namespace ?? 'default', container, this.store);
    if ('missing' in refs) return refs;
    const mounts = await this.volumes.mounts(pod, container);
    return { ...refs, mounts };
  }

  /** The pod's `imagePullSecrets` as Docker config documents, and a warning for those missing. */
  pullSecrets(pod: Pod): { secrets: string[]; warning?: string } {
    return resolvePullSecrets(pod, this.store);
  }

  /** The first emptyDir of the pod over its sizeLimit (the eviction message), if any. */
  overLimit(pod: Pod): Promise<string | undefined> {
    return this.volumes.overLimit(pod);
  }

  /** Removes the pod's volumes (its containers are gone). */
  podGone(uid: string): Promise<void> {
    return this.volumes.remove(uid);
  }

  /** Resolves once every store write has landed. */
  flush(): Promise<void> {
    return this.store.flush();
  }

  /** The agent stops: its run dir goes if nothing is left in it (run-dir.ts). */
  releaseRunDir(): Promise<void> {
    return releaseRunDir(this.deps.runDir);
  }

  private memoryProblem(): Promise<string | undefined> {
    this.runDirChecked ??= runDirProblem(this.deps.runDir, this.deps.dataDir);
    return this.runDirChecked;
  }
}

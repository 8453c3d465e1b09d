/**
 * Building the node's `OciRuntime` from its settings (the `--oci-*` flags of `edge-node`): the
 * adapter chosen by name and for runc the pod network. The registry client is the node's one client
 * (src/distribution), built once by the agent and shared with the Wasm runtime.
 */
import { join } from 'node:path';
import type { Logger } from '../api/index.js';
import type { CriLogRotation } from '../platform/index.js';
import type { Platform, RegistryClient } from '../distribution/index.js';
import type { OciRuntimeAdapter } from './adapter.js';
import { EngineAdapter } from './engine/engine-adapter.js';
import { PodNetwork } from './network/pod-network.js';
import { OciRuntime } from './oci-runtime.js';
import { RuncAdapter } from './runc/runc-adapter.js';

/** The adapters a node can be given. */
export const OCI_ADAPTERS = ['runc', 'docker', 'podman'] as const;
export type OciAdapterName = (typeof OCI_ADAPTERS)[number];

/** Settings of the node's OCI runtime. */
export interface OciSetup {
  adapter: OciAdapterName;
  /** Where the runtime keeps its state (`<data-dir>/runtime-oci`). */
  dataDir: string;
  nodeName: string;
  nodeAddress: string;
  platform: Platform;
  logger: Logger;
  /** runc: the binary. */
  runcPath?: string;
  /** runc: its `--root`. */
  runcRoot?: string;
  /** docker/podman: the Engine API socket (defaults: `/var/run/docker.sock`, `/run/podman/podman.sock`). */
  socketPath?: string;
  /** runc: `bridge` (a network namespace per pod) or `host`; docker/podman: the daemon network, or `host`. */
  network?: string;
  /** runc: the bridge device (default `edge0`). */
  bridge?: string;
  /** runc: the node's pod address range (default `10.88.0.0/24`). */
  podCidr?: string;
  /**
   * The node's registry client: runc pulls through it (insecure registries included); docker/podman
   * hand its credentials to their daemon, which has its own insecure-registry setting.
   */
  registry: RegistryClient;
  /** Rotation of the containers' log files (`--container-log-max-size`/`-max-files`); none when absent. */
  containerLogs?: CriLogRotation;
  /** Most processes one container may have (0 = no limit; default 1024). */
  pidsLimit?: number;
  /** Leave containers that outlive the agent running at its exit (`--oci-on-exit keep`). */
  keepContainersOnExit?: boolean;
  /** runc: the node's memory-backed run dir, for bundles' `config.json` (env may hold Secret values). */
  runDir?: string;
}

export const DEFAULT_SOCKETS: Record<'docker' | 'podman', string> = {
  docker: '/var/run/docker.sock',
  podman: '/run/podman/podman.sock',
};

/** Creates the adapter and the runtime; throws an Error that says what to fix when one cannot start. */
export async function createOciRuntime(s: OciSetup): Promise<OciRuntime> {
  const logger = s.logger.child({ runtime: 'oci' });
  const credentials = s.registry.credentials;
  const hostNetwork = s.network === 'host';
  let adapter: OciRuntimeAdapter;
  if (s.adapter === 'runc') {
    const network = hostNetwork
      ? undefined
      : await PodNetwork.create({ bridge: s.bridge ?? 'edge0', cidr: s.podCidr ?? '10.88.0.0/24', logger });
    adapter = await RuncAdapter.create({
      dataDir: s.dataDir,
      client: s.registry,
      nodeAddress: s.nodeAddress,
      logger,
      ...(network ? { network } : {}),
      ...(s.containerLogs ? { containerLogs: s.containerLogs } : {}),
      ...(s.pidsLimit !== undefined ? { pidsLimit: s.pidsLimit } : {}),
      ...(s.runDir !== undefined ? { volatileDir: join(s.runDir, 'runc-config') } : {}),
      ...(s.runcPath ? { runcPath: s.runcPath } : {}),
      ...(s.runcRoot ? { runcRoot: s.runcRoot } : { runcRoot: join(s.dataDir, 'runc') }),
    });
  } else {
    adapter = await EngineAdapter.create({
      socketPath: s.socketPath ?? DEFAULT_SOCKETS[s.adapter],
      flavor: s.adapter,
      nodeName: s.nodeName,
      nodeAddress: s.nodeAddress,
      logger,
      ...(s.network && !hostNetwork ? { network: s.network } : {}),
      ...(credentials ? { credentials } : {}),
      ...(s.containerLogs ? { containerLogs: s.containerLogs } : {}),
      ...(s.pidsLimit !== undefined ? { pidsLimit: s.pidsLimit } : {}),
    });
  }
  return OciRuntime.create({
    adapter,
    platform: s.platform,
    logger,
    hostNetwork,
    nodeAddress: s.nodeAddress,
    ...(s.keepContainersOnExit ? { keepContainersOnExit: true } : {}),
  });
}

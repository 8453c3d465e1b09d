/** What the runc adapter is given (runc-adapter.ts). */
import type { Logger } from '../../api/index.js';
import type { RegistryClient } from '../../distribution/index.js';
import type { CriLogRotation } from '../../platform/index.js';
import type { PodNetwork } from '../network/pod-network.js';

/** Dependencies of {@link RuncAdapter.create}. */
export interface RuncAdapterDeps {
  /** The adapter's state: `images/` (blobs, snapshots) and `bundles/`. */
  dataDir: string;
  /** The runc binary (default `runc`). */
  runcPath?: string;
  /** runc's `--root` (default `<dataDir>/runc`). */
  runcRoot?: string;
  client: RegistryClient;
  /** The pod network; without one every container shares the node's network. */
  network?: PodNetwork;
  /** The node's address: the endpoint of host-network containers. */
  nodeAddress: string;
  /** Parent of the containers' cgroups (default `/edgeplane`). */
  cgroupParent?: string;
  /** Most processes a container may have (`pids.max`); 0 = no limit; default 1024. */
  pidsLimit?: number;
  /** Rotation of the containers' log files; none when absent. */
  containerLogs?: CriLogRotation;
  /**
   * A memory-backed dir (the node's run dir) for each bundle's `config.json`: it holds the container's
   * env, which may carry Secret values, so it stays off the node's disk (the bundle links to it).
   * Without one, `config.json` is written in the bundle.
   */
  volatileDir?: string;
  logger: Logger;
}

/**
 * The node's OCI runtime from its `--oci-*` flags (`edge-node --oci-runtime runc|podman|docker`). Its
 * code is imported here, when the flag is given, so a Wasm-only agent never loads it (issue 20).
 */
import path from 'node:path';
import type { Logger, Runtime } from '../api/index.js';
import type { RegistryClient } from '../distribution/index.js';
import type { NodeOptions } from './cli-options.js';
import { defaultRunDir } from './config/index.js';
import { kubeArch } from './node-info.js';

/**
 * The `--oci-*` flags made into the node's OCI runtime (containers are the agent's to start; it owns
 * what it finds). Its code (adapters, image unpacking, pod network) is loaded here, only on a node
 * given `--oci-runtime`: a Wasm-only agent never holds it (issue 20, a lean agent).
 */
export async function ociRuntime(opts: NodeOptions, logger: Logger, registry: RegistryClient): Promise<Runtime> {
  const oci = opts.oci!;
  const { createOciRuntime } = await import('../runtime-oci/index.js');
  const arm = process.arch === 'arm' ? (process.config.variables as { arm_version?: string }).arm_version : undefined;
  return createOciRuntime({
    adapter: oci.runtime,
    dataDir: path.join(opts.dataDir, 'runtime-oci'),
    nodeName: opts.name,
    nodeAddress: opts.address,
    platform: { os: 'linux', architecture: kubeArch(), ...(arm ? { variant: `v${arm}` } : {}) },
    logger,
    registry,
    containerLogs: opts.containerLogs,
    runDir: opts.runDir ?? defaultRunDir(opts.dataDir),
    ...(oci.runcPath !== undefined ? { runcPath: oci.runcPath } : {}),
    ...(oci.runcRoot !== undefined ? { runcRoot: oci.runcRoot } : {}),
    ...(oci.socket !== undefined ? { socketPath: oci.socket } : {}),
    ...(oci.network !== undefined ? { network: oci.network } : {}),
    ...(oci.pidsLimit !== undefined ? { pidsLimit: oci.pidsLimit } : {}),
    ...(oci.bridge !== undefined ? { bridge: oci.bridge } : {}),
    ...(oci.podCidr !== undefined ? { podCidr: oci.podCidr } : {}),
    ...(oci.keepOnExit ? { keepContainersOnExit: true } : {}),
  });
}

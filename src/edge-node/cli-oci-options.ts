/** The registry and `--oci-*` flags: how the node reaches OCI registries and which container runtime it drives. */
import { isIP } from 'node:net';
import path from 'node:path';
import { OptionsError } from './cli-errors.js';

/** How the node reaches OCI registries. */
export interface RegistryNodeOptions {
  /** Registry credentials file (`config.json` with `auths`). */
  config?: string;
  /** Registries reached over plain HTTP. */
  insecureRegistries: string[];
}

/** OCI adapters `--oci-runtime` accepts (besides `none`). */
export const OCI_RUNTIMES = ['runc', 'docker', 'podman'] as const;

/** Settings of the node's OCI runtime, from the `--oci-*` flags. */
export interface OciNodeOptions {
  runtime: (typeof OCI_RUNTIMES)[number];
  /** `--oci-on-exit keep`: the agent's exit leaves the containers it can for the next agent to adopt. */
  keepOnExit?: boolean;
  /** runc binary. */
  runcPath?: string;
  /** runc `--root`. */
  runcRoot?: string;
  /** Engine API socket (docker, podman). */
  socket?: string;
  /** runc: `bridge` or `host`; docker/podman: the daemon network pods join, or `host`. */
  network?: string;
  /** runc: bridge device. */
  bridge?: string;
  /** runc: the node's pod address range. */
  podCidr?: string;
  /** Most processes one container may have (0 = no limit); the runtime's default (1024) when absent. */
  pidsLimit?: number;
  /** Registry credentials file (`config.json` with `auths`). */
  registryConfig?: string;
  /** Registries reached over plain HTTP. */
  insecureRegistries: string[];
}

/** `--oci-registry-config` and `--oci-insecure-registry`: the Wasm runtime uses them too, with any `--oci-runtime`. */
export function parseRegistryOptions(o: Record<string, string | undefined>): RegistryNodeOptions {
  const insecure = (o.ociInsecureRegistry ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  for (const h of insecure)
    if (!/^[A-Za-z0-9.-]+(:[0-9]+)?$|^\[[0-9a-fA-F:]+\](:[0-9]+)?$/.test(h))
      throw new OptionsError(`--oci-insecure-registry: "${h}" is not host[:port]`);
  return {
    insecureRegistries: insecure,
    ...(o.ociRegistryConfig !== undefined ? { config: path.resolve(o.ociRegistryConfig) } : {}),
  };
}

/** The `--oci-*` flags; undefined for `--oci-runtime none`. */
export function parseOciOptions(
  o: Record<string, string | undefined>,
  registry: RegistryNodeOptions,
): OciNodeOptions | undefined {
  const name = o.ociRuntime ?? 'none';
  if (name === 'none') return undefined;
  const runtime = OCI_RUNTIMES.find((r) => r === name);
  if (!runtime) throw new OptionsError(`--oci-runtime: "${name}" is not one of ${OCI_RUNTIMES.join(', ')}, none`);
  if (runtime === 'runc' && o.ociNetwork !== undefined && o.ociNetwork !== 'bridge' && o.ociNetwork !== 'host') {
    throw new OptionsError(`--oci-network: "${o.ociNetwork}" must be bridge or host with --oci-runtime runc`);
  }
  const cidr = o.ociPodCidr ?? '10.88.0.0/24';
  const m = /^([0-9]{1,3}(?:\.[0-9]{1,3}){3})\/([0-9]{1,2})$/.exec(cidr);
  if (!m || isIP(m[1] ?? '') !== 4 || Number(m[2]) < 8 || Number(m[2]) > 30)
    throw new OptionsError(`--oci-pod-cidr: "${cidr}" is not an IPv4 range with a prefix of 8..30 (e.g. 10.88.0.0/24)`);
  const bridge = o.ociBridge ?? 'edge0';
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(bridge))
    throw new OptionsError(`--oci-bridge: "${bridge}" is not a device name (1..15 letters, digits, '.', '_', '-')`);
  const out: OciNodeOptions = { runtime, bridge, podCidr: cidr, insecureRegistries: registry.insecureRegistries };
  const onExit = o.ociOnExit ?? 'remove';
  if (onExit !== 'keep' && onExit !== 'remove')
    throw new OptionsError(`--oci-on-exit: "${onExit}" must be keep (containers outlive the agent) or remove`);
  if (onExit === 'keep') out.keepOnExit = true;
  if (o.ociRunc !== undefined) out.runcPath = o.ociRunc;
  if (o.ociRoot !== undefined) out.runcRoot = path.resolve(o.ociRoot);
  if (o.ociSocket !== undefined) out.socket = path.resolve(o.ociSocket);
  if (o.ociNetwork !== undefined) out.network = o.ociNetwork;
  if (o.ociPidsLimit !== undefined) {
    if (!/^[0-9]{1,7}$/.test(o.ociPidsLimit))
      throw new OptionsError(`--oci-pids-limit: "${o.ociPidsLimit}" is not a whole number of processes (0 = no limit)`);
    out.pidsLimit = Number(o.ociPidsLimit);
  }
  if (registry.config !== undefined) out.registryConfig = registry.config;
  return out;
}

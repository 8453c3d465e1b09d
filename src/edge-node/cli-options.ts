/**
 * Command-line flags of `edge-node`, parsed and validated into `NodeOptions`. Bad input is an
 * `OptionsError` naming the flag (the CLI exits 2 with it).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import {
  DnsSubdomain,
  LabelKey,
  LabelValue,
  errorMessage,
  isQuantity,
  memoryBytes,
  parseDurationSeconds,
} from '../api/index.js';

/** The agent's settings from its flags. */
export interface NodeOptions {
  server: string;
  token: string;
  name: string;
  address: string;
  meshPort: number;
  dataDir: string;
  labels: Record<string, string>;
  capacity: { cpu?: string; memory?: string; pods?: string };
  logLevel: string;
  /** Deadline of one request to a workload, in ms. */
  requestTimeoutMs: number;
  /** Limits of each NodePort, mesh and local-proxy listener (`--max-request-body-bytes`, `--max-concurrent-requests`). */
  listeners: { maxRequestBodyBytes: number; maxConcurrentRequests: number };
  /** Rotation of container log files, both runtimes (`--container-log-max-size`, `--container-log-max-files`). */
  containerLogs: { maxBytes: number; maxFiles: number };
  /**
   * Wasm guests' memory, in bytes: the limit of a container without `limits.memory`
   * (`--wasm-default-memory-limit`) and the node's total (`--wasm-memory-budget`; undefined: the
   * runtime's default, half of physical memory or of the agent's cgroup limit).
   */
  wasm: { defaultMemoryLimitBytes: number; memoryBudgetBytes?: number };
  /** The OCI container runtime (`--oci-runtime`); undefined with `none`: the node offers Wasm only. */
  oci?: OciNodeOptions;
  /**
   * Registry settings of both runtimes (container images, Wasm OCI artifacts), from
   * `--oci-registry-config` / `--oci-insecure-registry`; undefined when neither is given.
   */
  registry?: RegistryNodeOptions;
}

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

/** A flag is missing or malformed. */
export class OptionsError extends Error {}

/** Help was printed (`--help`, `--version`): exit 0 without running. */
export class HelpShown extends Error {}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Parses `argv` (as `process.argv`) with `env` for `EDGE_JOIN_TOKEN` / `EDGE_LOG_LEVEL`. */
export function parseNodeOptions(
  argv: string[],
  env: NodeJS.ProcessEnv,
  version: string,
  write: (s: string) => void = (s) => process.stdout.write(s),
): NodeOptions {
  const program = new Command('edge-node')
    .description('Edgeplane edge node agent: runs the pods the hub binds to this device and serves its Services')
    .version(version)
    .option('--server <url>', 'hub URL, e.g. http://hub.local:7400 (required)')
    .option('--token <token>', 'join token (or --token-file, or EDGE_JOIN_TOKEN)')
    .option('--token-file <path>', 'file holding the join token')
    .option('--name <name>', 'node name', os.hostname().toLowerCase())
    .option('--address <ip>', 'address NodePorts and the mesh listen on, and peers reach this node at', '127.0.0.1')
    .option('--mesh-port <port>', 'node-to-node mesh port', '10250')
    .option('--data-dir <dir>', 'where the node keeps pods, logs and images', './edge-node-data')
    .option('--labels <k=v,...>', 'node labels, comma-separated')
    .option('--cpu <quantity>', 'CPU capacity to advertise (default: all CPUs)')
    .option('--memory <quantity>', 'memory capacity to advertise (default: total memory)')
    .option('--max-pods <n>', 'most pods this node runs', '110')
    .option(
      '--request-timeout <duration>',
      'deadline of one request to a workload; a Wasm guest that overruns it is restarted',
      '15s',
    )
    .option(
      '--max-request-body-bytes <quantity>',
      'largest request body a NodePort, mesh or local-proxy listener accepts (413 above it); bodies stream through, those for Wasm pods are held whole',
      '16Mi',
    )
    .option(
      '--max-concurrent-requests <n>',
      'requests in flight at once per NodePort, mesh or local-proxy listener (503 past it)',
      '1024',
    )
    .option('--container-log-max-size <quantity>', 'size at which a container log file is rotated', '10Mi')
    .option('--container-log-max-files <n>', 'log files kept per container, the live one included (at least 2)', '5')
    .option(
      '--wasm-default-memory-limit <quantity>',
      'linear-memory limit of each instance of a Wasm container without resources.limits.memory',
      '128Mi',
    )
    .option(
      '--wasm-memory-budget <quantity>',
      "total linear memory of all Wasm instances on this node; a pod that would exceed it waits (WasmMemoryBudgetExceeded) (default: half of physical memory, or of the agent's cgroup limit)",
    )
    .option(
      '--oci-runtime <name>',
      `container runtime for runtimeClassName oci: ${OCI_RUNTIMES.join(', ')} or none`,
      'none',
    )
    .option('--oci-runc <path>', 'runc binary (--oci-runtime runc)')
    .option('--oci-root <dir>', "runc's state directory, its --root (default: <data-dir>/runtime-oci/runc)")
    .option(
      '--oci-socket <path>',
      'Engine API socket (default: /var/run/docker.sock for docker, /run/podman/podman.sock for podman)',
    )
    .option(
      '--oci-network <name>',
      'runc: bridge (a network namespace per pod) or host; docker/podman: the daemon network pods join, or host',
      undefined,
    )
    .option('--oci-bridge <name>', 'runc: bridge device pods attach to (created when missing)', 'edge0')
    .option(
      '--oci-pids-limit <n>',
      'most processes one container may have, its pids cgroup limit (default 1024; 0 = no limit)',
    )
    .option(
      '--oci-pod-cidr <cidr>',
      "runc: this node's pod address range (its first address goes to the bridge)",
      '10.88.0.0/24',
    )
    .option(
      '--oci-registry-config <file>',
      'registry credentials for container images and Wasm OCI artifacts: a config.json with "auths", as docker login writes',
    )
    .option(
      '--oci-insecure-registry <host:port,...>',
      'registries reached over plain HTTP, for container images and Wasm OCI artifacts (loopback ones always are)',
    )
    .option('--log-level <level>', LOG_LEVELS.join(', '), env.EDGE_LOG_LEVEL ?? 'info')
    .exitOverride()
    .configureOutput({ writeOut: write, writeErr: () => undefined })
    .allowExcessArguments(false);
  try {
    program.parse(argv);
  } catch (err) {
    if (
      err instanceof CommanderError &&
      (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
    )
      throw new HelpShown();
    throw new OptionsError(errorMessage(err).replace(/^error: /, ''));
  }
  const o = program.opts<Record<string, string | undefined>>();

  if (!o.server) throw new OptionsError('--server is required (the hub URL, e.g. http://127.0.0.1:7400)');
  let url: URL;
  try {
    url = new URL(o.server);
  } catch {
    throw new OptionsError(`--server: "${o.server}" is not a URL (e.g. http://127.0.0.1:7400)`);
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol))
    throw new OptionsError(`--server: "${o.server}" must start with http://, https://, ws:// or wss://`);

  if (o.token !== undefined && o.tokenFile !== undefined)
    throw new OptionsError('give either --token or --token-file, not both');
  let token = o.token ?? env.EDGE_JOIN_TOKEN;
  if (o.tokenFile !== undefined) {
    try {
      token = readFileSync(o.tokenFile, 'utf8').trim();
    } catch (err) {
      throw new OptionsError(`--token-file: cannot read "${o.tokenFile}": ${errorMessage(err)}`);
    }
  }
  if (!token) throw new OptionsError('a join token is required: --token, --token-file or EDGE_JOIN_TOKEN');

  const name = o.name ?? '';
  if (!DnsSubdomain.safeParse(name).success)
    throw new OptionsError(`--name: "${name}" is not a valid node name (lower-case letters, digits, '-' and '.')`);
  const address = o.address ?? '';
  if (isIP(address) === 0) throw new OptionsError(`--address: "${address}" is not an IP address`);
  const meshPort = intFlag('--mesh-port', o.meshPort ?? '', 1, 65535);
  const maxPods = intFlag('--max-pods', o.maxPods ?? '', 1, 100_000);
  for (const [flag, v] of [
    ['--cpu', o.cpu],
    ['--memory', o.memory],
  ] as const) {
    if (v !== undefined && !isQuantity(v))
      throw new OptionsError(`${flag}: "${v}" is not a quantity (e.g. 2, 500m, 4Gi)`);
  }
  const timeout = parseDurationSeconds(o.requestTimeout ?? '15s');
  if (timeout === undefined || timeout <= 0)
    throw new OptionsError(`--request-timeout: "${o.requestTimeout}" is not a positive duration (e.g. 15s, 500ms)`);
  const wasm = parseWasmMemory(o);
  const { listeners, containerLogs } = parseLimits(o);
  const logLevel = o.logLevel ?? 'info';
  if (!LOG_LEVELS.includes(logLevel))
    throw new OptionsError(`--log-level: "${logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);

  const capacity: NodeOptions['capacity'] = { pods: String(maxPods) };
  if (o.cpu !== undefined) capacity.cpu = o.cpu;
  if (o.memory !== undefined) capacity.memory = o.memory;
  const registry = parseRegistryOptions(o);
  const oci = parseOciOptions(o, registry);
  return {
    ...(oci ? { oci } : {}),
    ...(registry.config !== undefined || registry.insecureRegistries.length > 0 ? { registry } : {}),
    server: o.server,
    token,
    name,
    address,
    meshPort,
    dataDir: path.resolve(o.dataDir ?? './edge-node-data'),
    labels: parseLabels(o.labels),
    capacity,
    logLevel,
    requestTimeoutMs: Math.round(timeout * 1000),
    wasm,
    listeners,
    containerLogs,
  };
}

/** The listener and container-log flags. */
function parseLimits(o: Record<string, string | undefined>): Pick<NodeOptions, 'listeners' | 'containerLogs'> {
  const bytes = (flag: string, v: string, min: number): number => {
    if (!isQuantity(v, 'memory') || memoryBytes(v) < min || !Number.isSafeInteger(memoryBytes(v)))
      throw new OptionsError(`${flag}: "${v}" is not a size of at least ${min} bytes (e.g. 16Mi, 1048576)`);
    return memoryBytes(v);
  };
  return {
    listeners: {
      maxRequestBodyBytes: bytes('--max-request-body-bytes', o.maxRequestBodyBytes ?? '16Mi', 1),
      maxConcurrentRequests: intFlag('--max-concurrent-requests', o.maxConcurrentRequests ?? '', 1, 1_000_000),
    },
    containerLogs: {
      maxBytes: bytes('--container-log-max-size', o.containerLogMaxSize ?? '10Mi', 1024),
      maxFiles: intFlag('--container-log-max-files', o.containerLogMaxFiles ?? '', 2, 1000),
    },
  };
}

/** `--wasm-default-memory-limit` and `--wasm-memory-budget`: memory quantities of at least one Wasm page. */
function parseWasmMemory(o: Record<string, string | undefined>): NodeOptions['wasm'] {
  const bytes = (flag: string, v: string): number => {
    if (!isQuantity(v, 'memory') || memoryBytes(v) < 65536)
      throw new OptionsError(`${flag}: "${v}" is not a memory quantity of at least 64Ki (e.g. 128Mi, 1Gi)`);
    return memoryBytes(v);
  };
  const defaultMemoryLimitBytes = bytes('--wasm-default-memory-limit', o.wasmDefaultMemoryLimit ?? '128Mi');
  if (o.wasmMemoryBudget === undefined) return { defaultMemoryLimitBytes };
  const memoryBudgetBytes = bytes('--wasm-memory-budget', o.wasmMemoryBudget);
  if (memoryBudgetBytes < defaultMemoryLimitBytes) {
    throw new OptionsError(
      `--wasm-memory-budget (${o.wasmMemoryBudget}) is below --wasm-default-memory-limit: no Wasm pod without a memory limit could start`,
    );
  }
  return { defaultMemoryLimitBytes, memoryBudgetBytes };
}

/** `--oci-registry-config` and `--oci-insecure-registry`: the Wasm runtime uses them too, with any `--oci-runtime`. */
function parseRegistryOptions(o: Record<string, string | undefined>): RegistryNodeOptions {
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
function parseOciOptions(
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

/** Parses `k=v,k2=v2` into labels, validating keys and values as Kubernetes does. */
export function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  if (text === undefined || text.trim() === '') return labels;
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new OptionsError(`--labels: "${pair}" is not key=value`);
    const key = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (!LabelKey.safeParse(key).success) throw new OptionsError(`--labels: "${key}" is not a valid label key`);
    if (!LabelValue.safeParse(value).success)
      throw new OptionsError(`--labels: "${value}" is not a valid label value (for key "${key}")`);
    labels[key] = value;
  }
  return labels;
}

function intFlag(flag: string, text: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(text)) throw new OptionsError(`${flag}: "${text}" is not a whole number`);
  const n = Number(text);
  if (n < min || n > max) throw new OptionsError(`${flag}: ${n} is out of range (${min}..${max})`);
  return n;
}

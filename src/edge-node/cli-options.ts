/**
 * Command-line flags of `edge-node`, parsed and validated into `NodeOptions`. Bad input is an
 * `OptionsError` naming the flag (the CLI exits 2 with it).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { CommanderError } from 'commander';
import {
  DnsSubdomain,
  LabelKey,
  LabelValue,
  errorMessage,
  isQuantity,
  memoryBytes,
  parseDurationSeconds,
} from '../api/index.js';

import { parseJoinToken, type JoinToken } from '../pki/lite.js';
import { HelpShown, OptionsError } from './cli-errors.js';
import { LOG_LEVELS, nodeCommand } from './cli-flags.js';
import { parseMetricsOptions, type HoldNodeOptions, type MetricsNodeOptions } from './cli-metrics-options.js';
import {
  parseOciOptions,
  parseRegistryOptions,
  type OciNodeOptions,
  type RegistryNodeOptions,
} from './cli-oci-options.js';

export { HelpShown, OptionsError };
export { OCI_RUNTIMES, type OciNodeOptions, type RegistryNodeOptions } from './cli-oci-options.js';

/** The agent's settings from its flags. */
export interface NodeOptions {
  /** The first hub URL (`servers[0]`). */
  server: string;
  /**
   * Every hub URL given (`--server a --server b`, or `--server a,b`): hubs of one cluster, sharing its
   * CA; the node uses one and moves to the next when it fails.
   */
  servers: string[];
  /**
   * The join token's secret (sent as the bearer token once the hub is trusted); absent when a joined
   * node restarts with its certificate (`pki/node.crt`).
   */
  token?: string;
  /** The CA hash a `K10<hash>::<secret>` token pins. */
  caHash?: string;
  /** `--ca-file`: the hub's CA bundle given by hand. */
  caFile?: string;
  name: string;
  address: string;
  meshPort: number;
  /** `--mesh-relay`: how the mesh uses the hub relay for peers it cannot reach (issue 20). */
  meshRelay: 'auto' | 'always' | 'never';
  dataDir: string;
  /** `--run-dir`: the tmpfs for secret and memory volumes (default: one under /dev/shm per data dir). */
  runDir?: string;
  /** `--config-key-file`: the key sealing the node's ConfigMaps and Secrets (default under the data dir). */
  configKeyFile?: string;
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
  wasm: { defaultMemoryLimitBytes: number; memoryBudgetBytes?: number; idleReleaseMs?: number };
  /** The OCI container runtime (`--oci-runtime`); undefined with `none`: the node offers Wasm only. */
  oci?: OciNodeOptions;
  /**
   * Registry settings of both runtimes (container images, Wasm OCI artifacts), from
   * `--oci-registry-config` / `--oci-insecure-registry`; undefined when neither is given.
   */
  registry?: RegistryNodeOptions;
  /** `--metrics-interval`, `--metrics-bind-address`. */
  metrics: MetricsNodeOptions;
  /** `--scale-from-zero-queue`, `--scale-from-zero-timeout`. */
  hold: HoldNodeOptions;
}

/** Parses `argv` (as `process.argv`) with `env` for `EDGE_JOIN_TOKEN` / `EDGE_LOG_LEVEL`. */
export function parseNodeOptions(
  argv: string[],
  env: NodeJS.ProcessEnv,
  version: string,
  write: (s: string) => void = (s) => process.stdout.write(s),
): NodeOptions {
  const program = nodeCommand(env, version, write);
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
  const servers = parseServers(program.opts<{ server?: string[] }>().server);
  const url = new URL(servers[0]!);

  // No --token: a secret on the command line shows in `ps` to every user of the device.
  let token = env.EDGE_JOIN_TOKEN;
  if (o.tokenFile !== undefined) {
    try {
      token = readFileSync(o.tokenFile, 'utf8').trim();
    } catch (err) {
      throw new OptionsError(`--token-file: cannot read "${o.tokenFile}": ${errorMessage(err)}`);
    }
  }
  // Over TLS a node that joined already has its certificate (pki/node.crt) and needs no token; the
  // identity says so if it has neither. A plain-HTTP hub takes only the token.
  const plain = url.protocol === 'http:' || url.protocol === 'ws:';
  if (!token && plain) throw new OptionsError('a join token is required: --token-file or EDGE_JOIN_TOKEN');
  let joinToken: JoinToken | undefined;
  try {
    joinToken = token ? parseJoinToken(token) : undefined;
  } catch (err) {
    throw new OptionsError(errorMessage(err));
  }

  const name = o.name ?? '';
  if (!DnsSubdomain.safeParse(name).success)
    throw new OptionsError(`--name: "${name}" is not a valid node name (lower-case letters, digits, '-' and '.')`);
  const address = o.address ?? '';
  if (isIP(address) === 0) throw new OptionsError(`--address: "${address}" is not an IP address`);
  const meshPort = intFlag('--mesh-port', o.meshPort ?? '', 1, 65535);
  const meshRelay = o.meshRelay ?? 'auto';
  if (meshRelay !== 'auto' && meshRelay !== 'always' && meshRelay !== 'never')
    throw new OptionsError(`--mesh-relay: "${meshRelay}" is not one of auto, always, never`);
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
    server: servers[0]!,
    servers,
    ...(joinToken ? { token: joinToken.secret } : {}),
    ...(joinToken?.caHash !== undefined ? { caHash: joinToken.caHash } : {}),
    ...(o.caFile !== undefined ? { caFile: path.resolve(o.caFile) } : {}),
    name,
    address,
    meshPort,
    meshRelay,
    dataDir: path.resolve(o.dataDir ?? './edge-node-data'),
    ...(o.runDir !== undefined ? { runDir: path.resolve(o.runDir) } : {}),
    ...(o.configKeyFile !== undefined ? { configKeyFile: path.resolve(o.configKeyFile) } : {}),
    labels: parseLabels(o.labels),
    capacity,
    logLevel,
    requestTimeoutMs: Math.round(timeout * 1000),
    wasm,
    listeners,
    containerLogs,
    ...parseMetricsOptions(o),
  };
}

/**
 * The `--server` URLs: at least one, each http(s):// or ws(s)://, all of them plain or all TLS (the
 * hubs of one cluster serve alike, and the node's trust and mesh follow from that).
 */
function parseServers(given: string[] | undefined): string[] {
  const servers = [...new Set((given ?? []).map((s) => s.trim()).filter((s) => s !== ''))];
  if (servers.length === 0) throw new OptionsError('--server is required (the hub URL, e.g. https://127.0.0.1:7400)');
  const tls = (u: URL): boolean => u.protocol === 'https:' || u.protocol === 'wss:';
  let first: URL | undefined;
  for (const server of servers) {
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new OptionsError(`--server: "${server}" is not a URL (e.g. https://127.0.0.1:7400)`);
    }
    if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol))
      throw new OptionsError(`--server: "${server}" must start with http://, https://, ws:// or wss://`);
    first ??= url;
    if (tls(url) !== tls(first))
      throw new OptionsError(
        `--server: "${server}" and "${servers[0]}" mix TLS and plain HTTP; the hubs of one cluster serve alike`,
      );
  }
  return servers;
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
  const idle = o.wasmIdleRelease === undefined ? undefined : parseDurationSeconds(o.wasmIdleRelease);
  if (o.wasmIdleRelease !== undefined && (idle === undefined || idle < 0))
    throw new OptionsError(`--wasm-idle-release: "${o.wasmIdleRelease}" is not a duration (e.g. 5m, 30s, 0)`);
  const release = idle === undefined ? {} : { idleReleaseMs: Math.round(idle * 1000) };
  if (o.wasmMemoryBudget === undefined) return { defaultMemoryLimitBytes, ...release };
  const memoryBudgetBytes = bytes('--wasm-memory-budget', o.wasmMemoryBudget);
  if (memoryBudgetBytes < defaultMemoryLimitBytes) {
    throw new OptionsError(
      `--wasm-memory-budget (${o.wasmMemoryBudget}) is below --wasm-default-memory-limit: no Wasm pod without a memory limit could start`,
    );
  }
  return { defaultMemoryLimitBytes, memoryBudgetBytes, ...release };
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

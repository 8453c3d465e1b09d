/** The flags `edge-node` accepts, with their help text and defaults (parsed by `parseNodeOptions`). */
import os from 'node:os';
import { Command } from 'commander';
import { OCI_RUNTIMES } from './cli-oci-options.js';

/** Levels `--log-level` accepts. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** The `edge-node` command: its flags, help going to `write`, errors thrown rather than exiting. */
export function nodeCommand(env: NodeJS.ProcessEnv, version: string, write: (s: string) => void): Command {
  return (
    new Command('edge-node')
      .description('Edgeplane edge node agent: runs the pods the hub binds to this device and serves its Services')
      .version(version)
      .option(
        '--server <url>',
        'hub URL, e.g. https://hub.local:7400 (required); repeat it or separate URLs with commas for the several hubs of one cluster, tried in turn when one fails',
        (v: string, prev: string[] | undefined) => [...(prev ?? []), ...v.split(',')],
      )
      .option('--token-file <path>', 'file holding the join token (K10<ca-hash>::<secret>), else EDGE_JOIN_TOKEN')
      .option('--ca-file <path>', "the hub's CA bundle (PEM), needed when the join token carries no CA hash")
      .option('--name <name>', 'node name', os.hostname().toLowerCase())
      .option('--address <ip>', 'address NodePorts and the mesh listen on, and peers reach this node at', '127.0.0.1')
      .option('--mesh-port <port>', 'node-to-node mesh port', '10250')
      // Issue 20: peers this node cannot reach directly (NAT) are reached through the hub.
      .option(
        '--mesh-relay <mode>',
        "mesh connections through the hub (TLS hub only): 'auto' relays a peer once a direct connect fails (retrying direct after a minute) and accepts relayed connections; 'always' relays every peer (a node behind NAT); 'never' neither",
        'auto',
      )
      .option('--data-dir <dir>', 'where the node keeps pods, logs and images', './edge-node-data')
      .option(
        '--run-dir <dir>',
        'a tmpfs outside the data dir for configMap/secret volumes and Memory emptyDirs, so no secret value reaches the disk (default: /dev/shm/edgeplane-node-<hash of the data dir>)',
      )
      .option(
        '--config-key-file <path>',
        "key sealing the node's copies of ConfigMaps and Secrets, created on first start (default: <data-dir>/config/node.key)",
      )
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
        '--wasm-idle-release <duration>',
        'how long the Wasm executor threads and compiled modules stay after the last Wasm pod goes, so a scale from zero finds them warm (0: at once, for the smallest devices)',
        '5m',
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
      .option(
        '--oci-on-exit <what>',
        'what the agent does with its containers when it exits: remove them, or keep them running for the next agent to adopt (upgrades; containers without stdin/tty)',
        'remove',
      )
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
      .option(
        '--metrics-interval <duration>',
        "how often the node samples its pods' CPU, memory and requests and reports them to the hub (0 disables)",
        '5s',
      )
      .option(
        '--metrics-bind-address <ip:port>',
        'serve Prometheus /metrics on this address (default: no listener; the hub proxies it at /api/v1/nodes/<name>/proxy/metrics)',
      )
      .option(
        '--scale-from-zero-queue <n>',
        'requests held per Service while it has no ready endpoint (scale from zero); more get a 503',
        '100',
      )
      .option(
        '--scale-from-zero-timeout <duration>',
        'how long a request waits for a Service with no ready endpoint before a 503',
        '10s',
      )
      .option('--log-level <level>', LOG_LEVELS.join(', '), env.EDGE_LOG_LEVEL ?? 'info')
      .exitOverride()
      .configureOutput({ writeOut: write, writeErr: () => undefined })
      .allowExcessArguments(false)
  );
}

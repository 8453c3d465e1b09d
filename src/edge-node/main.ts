/**
 * `edge-node`: the agent on an edge device.
 *
 *   edge-node --server https://hub:7400 --token-file join.token --name pi-1 --address 10.0.0.7
 *   edge-node … --oci-runtime runc --oci-pod-cidr 10.88.1.0/24     (containers too, daemonless)
 *   edge-node … --oci-runtime podman --oci-socket /run/podman/podman.sock
 *
 * Exit codes: 0 after SIGTERM/SIGINT, 1 when the hub refuses the join token at startup, refuses the
 * node name because another agent holds it, or the agent cannot start, 2 for bad flags.
 */
import { EventEmitter, once } from 'node:events';
import path from 'node:path';
import { errorMessage, formatBytes } from '../api/index.js';
import type { Logger, Runtime } from '../api/index.js';
import { createLogger } from '../platform/index.js';
import { RegistryClient } from '../distribution/index.js';
import { WasmRuntime, type WasmRuntimeDeps } from '../runtime-wasm/index.js';
import { acquireDataDirLock, prepareDataDir } from '../durable/index.js';
import { Agent } from './agent.js';
import { HelpShown, OptionsError, parseNodeOptions, type NodeOptions } from './cli-options.js';
import { nodeBlobFetcher } from './blob-fetch.js';
import { peerBlobHandler } from './peer-blobs/index.js';
import { HubEndpoints, restBase } from './session/hub-endpoints.js';
import { LearnedHubsFile } from './session/learned-hubs.js';
import { establishHubTrust, HubTrustError } from './hub-trust.js';
import { NodeIdentity, NodeIdentityError, type NodeTlsMaterial } from './identity/index.js';
import { RelayDialer, RelayListener, RelayMetrics, ServiceMesh, type MeshTlsMaterial } from './mesh/index.js';
import { agentVersion } from './node-info.js';
import { ociRuntime } from './oci-runtime.js';

async function main(argv: string[]): Promise<void> {
  let opts: NodeOptions;
  try {
    opts = parseNodeOptions(argv, process.env, agentVersion());
  } catch (err) {
    if (err instanceof HelpShown) process.exit(0);
    if (err instanceof OptionsError) {
      process.stderr.write(`edge-node: ${err.message}\nRun "edge-node --help" for usage.\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger('edge-node', opts.logLevel);
  // One agent per data dir (issue 21): a second one would start every pod again and fight over the
  // local state. The lock is released when the process exits; a SIGKILLed agent's lock is stale.
  prepareDataDir(opts.dataDir, (message) => logger.warn({ dataDir: opts.dataDir }, message));
  acquireDataDirLock(opts.dataDir, { program: 'edge-node' });
  // Trust first: the hub's CA is checked against the join token before the token goes anywhere. A
  // joined node restarted without a token trusts the CA it pinned at its join (read by its identity).
  let hubCa: string | undefined;
  const restartWithoutToken = opts.token === undefined && opts.caFile === undefined;
  try {
    if (!restartWithoutToken) hubCa = await establishHubTrust({ ...opts, server: opts.servers, logger });
  } catch (err) {
    if (!(err instanceof HubTrustError)) throw err;
    process.stderr.write(`edge-node: ${err.message}\n`);
    process.exit(1);
  }
  // The hubs this node knows: the session moves between them, and every other call to "the hub"
  // (certificate renewal, blob downloads) goes to the one the session is on.
  // The hubs learned on an earlier run follow them: a restart while the --server hub is down dials those.
  const hubs = new HubEndpoints(opts.servers, { learned: new LearnedHubsFile(opts.dataDir, logger) });
  const hubBase = (): string => hubs.currentBase;
  const identity = await nodeIdentity(opts, hubBase, hubCa, logger);
  // With its certificate the node sends no token anywhere; a plain-HTTP hub still takes the token.
  const hubAuth = identity ? undefined : opts.token;
  // Issue 20: peers this node cannot reach directly are reached through the hub, and the hub may offer
  // this node connections from peers that cannot reach it (mTLS only: the relayed bytes are the nodes' own TLS).
  // Several hubs: a hub may send a dial on to the hub the peer is on, one of those this node knows.
  const relayLink =
    identity && opts.meshRelay !== 'never'
      ? { base: hubBase, tls: () => identity.hubTlsOptions(), hubs: () => hubs.all }
      : undefined;
  const relayMetrics = relayLink ? new RelayMetrics() : undefined;
  const relayDialer =
    relayLink && relayMetrics && opts.meshRelay !== 'never'
      ? new RelayDialer({ link: relayLink, mode: opts.meshRelay, metrics: relayMetrics })
      : undefined;
  // Started once the agent listens (below); the session's events move it with the session (followHub).
  const relayListener = relayLink
    ? new RelayListener({
        link: relayLink,
        logger,
        ...(relayMetrics ? { metrics: relayMetrics } : {}),
        meshTarget: () => ({ host: loopbackFor(opts.address), port: agent.meshPort }),
      })
    : undefined;
  // The mesh comes first: pods' outgoing HTTP (Services by name, allowed external hosts) goes
  // through it, so the Wasm runtime is built with its handler; the agent is handed both.
  const mesh = await ServiceMesh.create({
    nodeName: opts.name,
    labels: opts.labels,
    address: opts.address,
    meshPort: opts.meshPort,
    // With a TLS hub the node has its certificate: the mesh is mTLS with it (no token on the wire),
    // following each rotation below; only a plain-HTTP hub leaves the mesh on its token in clear.
    ...(identity
      ? { transport: 'mtls' as const, tls: meshMaterial(identity.current()) }
      : { transport: 'insecure-token' as const }),
    logger,
    requestTimeoutMs: opts.requestTimeoutMs,
    listenerLimits: opts.listeners,
    hold: opts.hold,
    ...(relayDialer ? { peerDialer: relayDialer } : {}),
  });
  identity?.onRotate((material) => mesh.setTlsMaterial(meshMaterial(material)));
  // One registry client (credentials read once) for both runtimes: Wasm OCI artifacts and container images.
  const registry = await RegistryClient.create(opts.registry);
  const wasmDeps: WasmRuntimeDeps = {
    dataDir: path.join(opts.dataDir, 'runtime-wasm'),
    logger,
    registry,
    requestTimeoutMs: opts.requestTimeoutMs,
    containerLogs: opts.containerLogs,
    defaultMemoryLimitBytes: opts.wasm.defaultMemoryLimitBytes,
    ...(opts.wasm.memoryBudgetBytes !== undefined ? { memoryBudgetBytes: opts.wasm.memoryBudgetBytes } : {}),
    ...(opts.wasm.idleReleaseMs !== undefined ? { executorIdleReleaseMs: opts.wasm.idleReleaseMs } : {}),
    // From the hub, and on a node with a zone label from its zone's peers first (see blob-fetch.ts).
    fetchBlob: nodeBlobFetcher({
      nodeName: opts.name,
      labels: opts.labels,
      dataDir: opts.dataDir,
      hubBase,
      otherHubs: () => hubs.all.map(restBase),
      auth: identity
        ? {
            kind: 'certificate',
            dispatcher: () => identity.dispatcher(),
            meshMaterial: () => meshMaterial(identity.current()),
            ...(relayDialer
              ? {
                  relay:
                    opts.meshRelay === 'always'
                      ? { all: true as const }
                      : { all: false as const, relays: (n: string) => relayDialer.relays(n) },
                }
              : {}),
          }
        : { kind: 'token', token: hubAuth, meshToken: () => mesh.identity.token },
      logger,
    }),
    outgoingHttp: mesh.outgoingHttp,
  };
  const runtime = await WasmRuntime.create(wasmDeps);
  // The components this node holds, for its zone's peers (read-only, behind the mesh's authentication).
  mesh.setBlobHandler(peerBlobHandler({ heldPath: (d) => runtime.heldComponentPath(d), logger }));

  const runtimes: Runtime[] = [runtime];
  if (opts.oci) {
    try {
      runtimes.push(await ociRuntime(opts, logger, registry));
    } catch (err) {
      await runtime.close();
      throw new Error(`cannot start the OCI runtime (${opts.oci.runtime}): ${errorMessage(err)}`, { cause: err });
    }
  }

  // A signal or the session (a wrong token at startup, a refused name) asks for the exit; the first
  // request wins, and the shutdown below runs it once the agent has started.
  const exitRequests = new EventEmitter();
  const exitRequested = once(exitRequests, 'exit') as Promise<[number]>;
  const requestExit = (code: number): boolean => exitRequests.emit('exit', code);
  let everConnected = false;
  const agent = await Agent.create({
    hubUrl: hubs,
    ...(identity ? { hubTls: () => identity.hubTlsOptions() } : { token: hubAuth }),
    nodeName: opts.name,
    address: opts.address,
    mesh,
    dataDir: opts.dataDir,
    ...(opts.runDir !== undefined ? { runDir: opts.runDir } : {}),
    ...(opts.configKeyFile !== undefined ? { configKeyFile: opts.configKeyFile } : {}),
    labels: opts.labels,
    runtimes,
    logger,
    metrics: { ...opts.metrics, wasm: runtime, ...(relayMetrics ? { relay: relayMetrics } : {}) },
    // A Wasm-only node can give pods no more memory than its Wasm budget: it advertises that (unless
    // --memory says otherwise), so the scheduler does not bind more than the node would accept.
    capacity:
      opts.oci || opts.capacity.memory !== undefined
        ? opts.capacity
        : { ...opts.capacity, memory: formatBytes(runtime.stats.memoryBudget.total) },
    onSessionEvent: (ev) => {
      if (ev.type === 'connected') {
        everConnected = true;
        // On another hub now (several hubs): the relay listener follows, as other hubs send dials there.
        relayListener?.followHub();
      }
      if (ev.type === 'unauthorized' && identity) {
        // The hub no longer accepts this node's certificate: it was deleted (revoked). Redialing cannot help.
        process.stderr.write(
          `edge-node: ${ev.message}; the node was deleted or its credential revoked: to join again, delete ${opts.dataDir}/pki/node.* and start with a bootstrap token\n`,
        );
        requestExit(1);
      }
      if (ev.type === 'unauthorized' && !everConnected && !identity) {
        // A wrong token at startup is a configuration error, not an outage: say so and stop.
        process.stderr.write(`edge-node: ${ev.message}; check --token-file / EDGE_JOIN_TOKEN\n`);
        requestExit(1);
      }
      if (ev.type === 'refused') {
        // Another agent holds this name (a copied data dir or cloned SD card): never run its pods twice.
        process.stderr.write(`edge-node: ${ev.message}\n`);
        requestExit(1);
      }
    },
  });
  process.on('SIGTERM', () => requestExit(0));
  process.on('SIGINT', () => requestExit(0));
  await agent.start();
  relayListener?.start();
  // One line for people (the hub prints one too); the JSON log line below is for machines.
  process.stdout.write(
    `edge-node ${opts.name} started: hub ${opts.servers.join(',')}, mesh port ${agent.meshPort}, ` +
      `runtimes ${runtimes.map((r) => r.name).join(', ')}, data dir ${opts.dataDir}\n`,
  );
  logger.info(
    {
      node: opts.name,
      servers: opts.servers,
      address: opts.address,
      meshPort: agent.meshPort,
      dataDir: opts.dataDir,
      runtimes: runtimes.map((r) => r.name),
      oci: opts.oci?.runtime,
    },
    'edge-node started',
  );
  const [code] = await exitRequested;
  const force = setTimeout(() => process.exit(code === 0 ? 1 : code), 10_000);
  force.unref();
  try {
    relayListener?.stop();
    await agent.stop();
    await identity?.stop();
    await Promise.all(runtimes.map((r) => r.close()));
  } catch (err) {
    logger.error({ err: errorMessage(err) }, 'shutdown failed');
    process.exit(1);
  }
  process.exit(code);
}

/**
 * The mesh's TLS material from the node's: its certificate, trusting for peers only the CA that signs
 * node certificates (not the pinned serving CA, which is another when the hub serves a user's certificate).
 */
function meshMaterial(m: NodeTlsMaterial): MeshTlsMaterial {
  return { keyPem: m.keyPem, certPem: m.certPem, caPem: m.signerCaPem };
}

/**
 * The node's certificate for a TLS hub (loaded, or bootstrapped with the join token), renewing itself
 * from now on; undefined for a plain-HTTP hub. Exits 1 when the node cannot get one (the message says why).
 */
async function nodeIdentity(
  opts: NodeOptions,
  hubBase: () => string,
  hubCa: string | undefined,
  logger: Logger,
): Promise<NodeIdentity | undefined> {
  if (!/^(https|wss):/.test(opts.server)) return undefined;
  try {
    const identity = await NodeIdentity.load({
      dataDir: opts.dataDir,
      hubBase,
      // A first join tries every --server in turn (one hub down must not stop a node from joining).
      hubs: () => opts.servers.map(restBase),
      nodeName: opts.name,
      address: opts.address,
      ...(hubCa !== undefined ? { caPem: hubCa } : {}),
      ...(opts.token !== undefined ? { bootstrapToken: opts.token } : {}),
      logger: logger.child({ component: 'identity' }),
    });
    identity.start();
    return identity;
  } catch (err) {
    if (!(err instanceof NodeIdentityError)) throw err;
    process.stderr.write(`edge-node: ${err.message}\n`);
    process.exit(1);
  }
}

main(process.argv).catch((err: unknown) => {
  process.stderr.write(`edge-node: ${errorMessage(err)}\n`);
  process.exit(1);
});

/** Where this node reaches its own mesh server: its address, or loopback for a wildcard one. */
function loopbackFor(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '::1';
  return address;
}

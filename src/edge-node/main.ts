/**
 * `edge-node`: the agent on an edge device.
 *
 *   edge-node --server http://hub:7400 --token-file join.token --name pi-1 --address 10.0.0.7
 *
 * Exit codes: 0 after SIGTERM/SIGINT, 1 when the hub refuses the join token at startup or the agent
 * cannot start, 2 for bad flags.
 */
import path from 'node:path';
import { BLOB_PATH, createLogger, errorMessage } from '../api/index.js';
import { WasmRuntime } from '../runtime-wasm/index.js';
import { Agent } from './agent.js';
import { HelpShown, OptionsError, parseNodeOptions, type NodeOptions } from './cli-options.js';
import { agentVersion } from './node-info.js';

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
  const hubBase = opts.server.replace(/^ws/, 'http').replace(/\/+$/, '');
  const runtime = await WasmRuntime.create({
    dataDir: path.join(opts.dataDir, 'runtime-wasm'),
    logger,
    requestTimeoutMs: opts.requestTimeoutMs,
    fetchBlob: async (digest) => {
      const res = await fetch(`${hubBase}${BLOB_PATH}/${digest}`, { headers: { authorization: `Bearer ${opts.token}` } });
      if (!res.ok) throw new Error(`hub answered ${res.status} for blob ${digest}`);
      return new Uint8Array(await res.arrayBuffer());
    },
  });

  let everConnected = false;
  let exiting = false;
  const exit = (code: number, agent: Agent | undefined): void => {
    if (exiting) return;
    exiting = true;
    const force = setTimeout(() => process.exit(code === 0 ? 1 : code), 10_000);
    force.unref();
    (agent ? agent.stop() : Promise.resolve())
      .then(() => runtime.close())
      .then(
        () => process.exit(code),
        (err: unknown) => {
          logger.error({ err: errorMessage(err) }, 'shutdown failed');
          process.exit(1);
        },
      );
  };

  let agent: Agent | undefined;
  agent = await Agent.create({
    hubUrl: opts.server,
    token: opts.token,
    nodeName: opts.name,
    address: opts.address,
    meshPort: opts.meshPort,
    dataDir: opts.dataDir,
    labels: opts.labels,
    runtimes: [runtime],
    logger,
    capacity: opts.capacity,
    requestTimeoutMs: opts.requestTimeoutMs,
    onSessionEvent: (ev) => {
      if (ev.type === 'connected') everConnected = true;
      if (ev.type === 'unauthorized' && !everConnected) {
        // A wrong token at startup is a configuration error, not an outage: say so and stop.
        process.stderr.write(`edge-node: ${ev.message}; check --token / --token-file / EDGE_JOIN_TOKEN\n`);
        exit(1, agent);
      }
    },
  });
  process.on('SIGTERM', () => exit(0, agent));
  process.on('SIGINT', () => exit(0, agent));
  await agent.start();
  logger.info({ node: opts.name, server: opts.server, address: opts.address, meshPort: agent.meshPort, dataDir: opts.dataDir }, 'edge-node started');
}

main(process.argv).catch((err: unknown) => {
  process.stderr.write(`edge-node: ${errorMessage(err)}\n`);
  process.exit(1);
});

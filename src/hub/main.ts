/**
 * `edge-hub`: runs the control plane.
 *
 *   edge-hub --data-dir /tmp/hub --listen 127.0.0.1:7400
 */
import { resolve } from 'node:path';
import { errorMessage } from '../api/index.js';
import { createLogger } from '../platform/index.js';
import { rotateCommand } from './encryption/index.js';
import { Hub } from './hub.js';
import { hubProgram, type HubFlags } from './hub-cli.js';
import { invalidTimings } from './leader/index.js';
import { HUB_VERSION } from './version.js';

async function main(argv: string[]): Promise<void> {
  if (argv[2] === 'rotate-encryption-key') return rotateCommand(argv, (line) => process.stdout.write(`${line}\n`));
  const program = hubProgram();
  program.parse(argv);
  const o = program.opts<HubFlags>();
  if (o.store === 'etcd' && o.etcdEndpoints === undefined) program.error('--store etcd needs --etcd-endpoints');
  if (o.store !== 'etcd' && o.etcdEndpoints !== undefined) program.error('--etcd-endpoints needs --store etcd');
  if ((o.etcdCertfile === undefined) !== (o.etcdKeyfile === undefined))
    program.error('--etcd-certfile and --etcd-keyfile go together');
  if (o.store !== 'etcd' && o.leaderElect === true)
    program.error('--leader-elect needs --store etcd (a SQLite hub is alone: there is nobody to elect)');
  const leaderElection = {
    ...(o.leaderElect !== undefined ? { enabled: o.leaderElect } : {}),
    leaseDurationSeconds: o.leaderElectLeaseDuration,
    renewDeadlineSeconds: o.leaderElectRenewDeadline,
    retryPeriodSeconds: o.leaderElectRetryPeriod,
  };
  const badTimings = invalidTimings(leaderElection);
  if (o.store === 'etcd' && o.leaderElect !== false && badTimings !== undefined)
    program.error(`--leader-elect-*: ${badTimings}`);
  const logger = createLogger('edge-hub', o.logLevel);
  const dataDir = resolve(o.dataDir);
  const hub = await Hub.create({
    dataDir,
    store:
      o.store === 'etcd'
        ? {
            kind: 'etcd',
            endpoints: o.etcdEndpoints ?? [],
            keyPrefix: o.etcdPrefix,
            tls: {
              ...(o.etcdCafile !== undefined ? { caFile: resolve(o.etcdCafile) } : {}),
              ...(o.etcdCertfile !== undefined ? { certFile: resolve(o.etcdCertfile) } : {}),
              ...(o.etcdKeyfile !== undefined ? { keyFile: resolve(o.etcdKeyfile) } : {}),
            },
          }
        : { kind: 'sqlite' },
    host: o.listen.host,
    port: o.listen.port,
    ...(o.advertiseUrl !== undefined ? { advertiseUrl: o.advertiseUrl } : {}),
    logger,
    // The hub has stopped itself (its store failed for good): a non-zero exit, for systemd or another
    // supervisor to restart it on what is on disk.
    onFatal: (err) => {
      process.stderr.write(`edge-hub: ${err.message}\n`);
      process.exit(1);
    },
    nodeGracePeriodSeconds: o.nodeGracePeriod,
    podEvictionTimeoutSeconds: o.podEvictionTimeout,
    nodeEviction: {
      evictionRate: o.nodeEvictionRate,
      secondaryEvictionRate: o.secondaryNodeEvictionRate,
      unhealthyZoneThreshold: o.unhealthyZoneThreshold,
      largeClusterSizeThreshold: o.largeClusterSizeThreshold,
    },
    heartbeatIntervalSeconds: o.heartbeatInterval,
    maxHeartbeatsPerSecond: o.maxHeartbeatsPerSecond,
    maxHandshakesInFlight: o.maxHandshakesInFlight,
    leaderElection,
    maxWatchesPerUser: o.maxWatchesPerUser,
    maxLogFollowsPerUser: o.maxLogFollowsPerUser,
    maxPodStreamsPerUser: o.maxPodStreamsPerUser,
    eventTtlSeconds: o.eventTtl,
    hpaSyncPeriodSeconds: o.hpaSyncPeriod,
    blobStoreMaxBytes: o.blobStoreMaxBytes,
    blobMaxUploadBytes: o.blobMaxUploadBytes,
    blobGcGraceSeconds: o.blobGcGrace,
    insecureHttp: o.insecureHttp === true,
    ...(o.encryptionKeyFile !== undefined ? { encryptionKeyFile: resolve(o.encryptionKeyFile) } : {}),
    nodeCertLifetimeSeconds: o.nodeCertLifetime,
    eventRate: { perSecond: o.eventQps, burst: o.eventBurst },
    tls: {
      sans: o.tlsSan,
      servingCertLifetimeSeconds: o.servingCertLifetime,
      certFile: o.tlsCertFile,
      keyFile: o.tlsPrivateKeyFile,
      clientCaFile: o.clientCaFile,
    },
    gateway: {
      duplicateCheckTimeoutMs: o.duplicateNodeCheck * 1000,
      nodeEventRate: { perSecond: o.nodeEventQps, burst: o.nodeEventBurst },
    },
  });
  const { url } = await hub.start();
  const { kubeconfig, joinToken } = hub.clientFiles;
  // Where the credentials are, never what they are.
  process.stdout.write(
    `edge-hub ${HUB_VERSION} serving ${url}${hub.tls ? '' : '  (INSECURE: plain HTTP)'}\n` +
      `  kubeconfig: ${kubeconfig}   (export EDGE_CONFIG=${kubeconfig} KUBECONFIG=${kubeconfig})\n` +
      `  join token: ${joinToken}   (edge-node --server ${url} --token-file ${joinToken} ...)\n`,
  );
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    hub.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: errorMessage(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main(process.argv).catch((err: unknown) => {
  process.stderr.write(`edge-hub: ${errorMessage(err)}\n`);
  process.exit(1);
});

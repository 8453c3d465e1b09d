/**
 * `edge-hub`'s command line: every flag with its help, default and parser (commander). `main.ts` parses
 * it and builds the hub from {@link HubFlags}.
 */
import { Command, Option } from 'commander';
import {
  parseBytes,
  parseDuration,
  parseEtcdEndpoints,
  parseEtcdPrefix,
  parseFraction,
  parseHpaSyncPeriod,
  parseBool,
  parseCount,
  parseListen,
  parsePositiveDuration,
  parsePositiveInt,
  parseRate,
  parseStoreKind,
  type StoreKind,
} from './flags.js';
import { DEFAULT_LEADER_ELECTION } from './leader/index.js';
import { DEFAULT_NODE_CERT_LIFETIME_SECONDS } from './identity/index.js';
import { DEFAULT_MAX_HANDSHAKES_IN_FLIGHT, DEFAULT_SERVING_CERT_LIFETIME_SECONDS } from './tls/index.js';
import { DEFAULT_MAX_HEARTBEATS_PER_SECOND } from './gateway/index.js';
import { HUB_VERSION } from './version.js';

/** The parsed flags of `edge-hub`. */
export interface HubFlags {
  dataDir: string;
  listen: { host: string; port: number };
  advertiseUrl?: string;
  nodeGracePeriod: number;
  podEvictionTimeout: number;
  heartbeatInterval: number;
  maxHeartbeatsPerSecond: number;
  maxHandshakesInFlight: number;
  nodeEvictionRate: number;
  secondaryNodeEvictionRate: number;
  unhealthyZoneThreshold: number;
  largeClusterSizeThreshold: number;
  logLevel: string;
  maxWatchesPerUser: number;
  maxLogFollowsPerUser: number;
  maxPodStreamsPerUser: number;
  eventTtl: number;
  hpaSyncPeriod: number;
  blobStoreMaxBytes: number;
  blobMaxUploadBytes: number;
  blobGcGrace: number;
  duplicateNodeCheck: number;
  eventQps: number;
  eventBurst: number;
  nodeEventQps: number;
  nodeEventBurst: number;
  insecureHttp?: boolean;
  tlsSan: string[];
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  clientCaFile?: string;
  encryptionKeyFile?: string;
  servingCertLifetime: number;
  nodeCertLifetime: number;
  store: StoreKind;
  etcdEndpoints?: string[];
  etcdCafile?: string;
  etcdCertfile?: string;
  etcdKeyfile?: string;
  etcdPrefix: string;
  /** `--leader-elect` alone is true; absent: undefined (the store decides). */
  leaderElect?: boolean;
  leaderElectLeaseDuration: number;
  leaderElectRenewDeadline: number;
  leaderElectRetryPeriod: number;
}

/** The `edge-hub` program, not yet parsed. */
export function hubProgram(): Command {
  return (
    new Command('edge-hub')
      .description('Edgeplane control plane: API server, store, scheduler, controllers and node gateway')
      .version(HUB_VERSION)
      .option('--data-dir <dir>', 'where the hub keeps its state, tokens and blobs', './edge-hub-data')
      // Help shows the defaults as they are typed (`127.0.0.1:7400`, `10s`), not as parsed values.
      .addOption(
        new Option('--listen <host:port>', 'address of the API and the node gateway')
          .argParser(parseListen)
          .default({ host: '127.0.0.1', port: 7400 }, '127.0.0.1:7400'),
      )
      .option(
        '--advertise-url <url>',
        'URL nodes reach this hub at, told to the nodes of every hub on the same etcd (default: the --listen address, unless 0.0.0.0 or ::)',
      )
      .addOption(
        new Option('--node-grace-period <duration>', 'silence after which a node is marked NotReady')
          .argParser(parseDuration)
          .default(10, '10s'),
      )
      .addOption(
        new Option('--pod-eviction-timeout <duration>', 'how long a node may stay NotReady before its pods move')
          .argParser(parseDuration)
          .default(30, '30s'),
      )
      .addOption(
        new Option('--heartbeat-interval <duration>', 'how often nodes send heartbeats')
          .argParser(parseDuration)
          .default(2, '2s'),
      )
      .addOption(
        new Option(
          '--max-heartbeats-per-second <n>',
          'heartbeat budget: a larger fleet beats more slowly, its grace period scaled alike (0: none)',
        )
          .argParser(parseRate)
          .default(DEFAULT_MAX_HEARTBEATS_PER_SECOND),
      )
      .addOption(
        new Option(
          '--max-handshakes-in-flight <n>',
          'TLS handshakes worked on at once; more connections wait, unread, up to 5 s (0: no bound)',
        )
          .argParser(parseCount)
          .default(DEFAULT_MAX_HANDSHAKES_IN_FLIGHT),
      )
      .addOption(
        new Option('--node-eviction-rate <n>', 'nodes per second whose pods are evicted in a healthy zone')
          .argParser(parseRate)
          .default(0.1),
      )
      .addOption(
        new Option('--secondary-node-eviction-rate <n>', 'the same in an unhealthy zone larger than the next flag')
          .argParser(parseRate)
          .default(0.01),
      )
      .addOption(
        new Option(
          '--unhealthy-zone-threshold <fraction>',
          'share of not-Ready nodes (more than 2) making a zone unhealthy',
        )
          .argParser(parseFraction)
          .default(0.55),
      )
      .addOption(
        new Option('--large-cluster-size-threshold <n>', 'an unhealthy zone of at most this many nodes evicts nothing')
          .argParser(parsePositiveInt)
          .default(50),
      )
      .addOption(
        new Option('--max-watches-per-user <n>', 'concurrent watches one user may hold (429 past it)')
          .argParser(parsePositiveInt)
          .default(100),
      )
      .addOption(
        new Option(
          '--max-log-follows-per-user <n>',
          'concurrent followed logs (logs -f) one user may hold (429 past it)',
        )
          .argParser(parsePositiveInt)
          .default(20),
      )
      .addOption(
        new Option(
          '--max-pod-streams-per-user <n>',
          'concurrent exec, attach and port-forward streams one user may hold (429 past it)',
        )
          .argParser(parsePositiveInt)
          .default(32),
      )
      .addOption(
        new Option('--event-ttl <duration>', 'how long an Event is kept after its last update')
          .argParser(parsePositiveDuration)
          .default(3600, '1h'),
      )
      .addOption(
        new Option('--hpa-sync-period <duration>', 'how often each HorizontalPodAutoscaler is synced (at least 1s)')
          .argParser(parseHpaSyncPeriod)
          .default(15, '15s'),
      )
      .addOption(
        new Option('--blob-store-max-bytes <size>', 'total size of the content store (uploads past it get 507)')
          .argParser(parseBytes)
          .default(10 * 1024 ** 3, '10Gi'),
      )
      .addOption(
        new Option('--blob-max-upload-bytes <size>', 'largest single blob upload (413 past it)')
          .argParser(parseBytes)
          .default(256 * 1024 ** 2, '256Mi'),
      )
      .addOption(
        new Option(
          '--duplicate-node-check <duration>',
          'how long a connected node gets to answer a ping before a second agent with its name may take over (else the newcomer is refused)',
        )
          .argParser(parsePositiveDuration)
          .default(3, '3s'),
      )
      .addOption(
        new Option(
          '--event-qps <n>',
          "Events per second the hub's controllers and scheduler may record (past it and its burst they are dropped and counted)",
        )
          .argParser(parsePositiveInt)
          .default(50),
      )
      .addOption(
        new Option('--event-burst <n>', 'Events the hub may record at once before --event-qps applies')
          .argParser(parsePositiveInt)
          .default(100),
      )
      .addOption(
        new Option(
          '--node-event-qps <n>',
          'Events per second one node may record (past it and its burst they are dropped and counted)',
        )
          .argParser(parsePositiveInt)
          .default(5),
      )
      .addOption(
        new Option('--node-event-burst <n>', 'Events one node may record at once before --node-event-qps applies')
          .argParser(parsePositiveInt)
          .default(50),
      )
      .addOption(
        new Option('--blob-gc-grace <duration>', 'how long an unreferenced blob is kept after its last upload')
          .argParser(parsePositiveDuration)
          .default(3600, '1h'),
      )
      .addOption(
        new Option(
          '--insecure-http',
          'INSECURE: serve plain HTTP, no TLS; tokens and pod specs cross the network in clear',
        ),
      )
      .addOption(
        new Option('--tls-san <name>', 'extra IP address or DNS name of the serving certificate (repeatable)')
          .argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v])
          .default([], 'none'),
      )
      .option('--tls-cert-file <file>', "serving certificate (PEM, then its chain) instead of the hub's own")
      .option('--tls-private-key-file <file>', 'private key of --tls-cert-file (PEM)')
      .option(
        '--encryption-key-file <file>',
        'keyring encrypting Secrets at rest (default: <data-dir>/encryption.keys, created on first start)',
      )
      .option('--client-ca-file <file>', "CA bundle (PEM) of client certificates accepted besides the cluster CA's")
      .addOption(
        new Option('--serving-cert-lifetime <duration>', 'lifetime of the serving certificate the hub issues itself')
          .argParser(parsePositiveDuration)
          .default(DEFAULT_SERVING_CERT_LIFETIME_SECONDS, '8760h'),
      )
      .addOption(
        new Option(
          '--node-cert-lifetime <duration>',
          'lifetime of the node certificates the hub signs (renewed at 2/3)',
        )
          .argParser(parsePositiveDuration)
          .default(DEFAULT_NODE_CERT_LIFETIME_SECONDS, '8760h'),
      )
      .addOption(
        new Option('--store <kind>', 'where objects live: sqlite (in --data-dir) or etcd (several hubs, see --etcd-*)')
          .argParser(parseStoreKind)
          .default('sqlite'),
      )
      .addOption(
        new Option('--etcd-endpoints <urls>', 'etcd client URLs, comma-separated (http(s)://host:port)').argParser(
          parseEtcdEndpoints,
        ),
      )
      .option('--etcd-cafile <file>', "CA bundle (PEM) verifying the etcd members' certificates")
      .option('--etcd-certfile <file>', 'client certificate (PEM) presented to etcd')
      .option('--etcd-keyfile <file>', 'private key (PEM) of --etcd-certfile')
      .addOption(
        new Option('--etcd-prefix <prefix>', "prefix of this cluster's etcd keys (one per cluster sharing an etcd)")
          .argParser(parseEtcdPrefix)
          .default('/edgeplane'),
      )
      .addOption(
        new Option(
          '--leader-elect [bool]',
          'elect one leader among the hubs on the same etcd to run the scheduler and controllers (default: true with --store etcd; SQLite has one hub)',
        ).argParser(parseBool),
      )
      .addOption(
        new Option('--leader-elect-lease-duration <duration>', 'how long a leader holds the lock without renewing it')
          .argParser(parsePositiveDuration)
          .default(DEFAULT_LEADER_ELECTION.leaseDurationSeconds, '15s'),
      )
      .addOption(
        new Option(
          '--leader-elect-renew-deadline <duration>',
          'how long a leader keeps trying to renew before it stops leading (less than the lease duration)',
        )
          .argParser(parsePositiveDuration)
          .default(DEFAULT_LEADER_ELECTION.renewDeadlineSeconds, '10s'),
      )
      .addOption(
        new Option('--leader-elect-retry-period <duration>', 'how often a leader renews and a candidate tries to lead')
          .argParser(parsePositiveDuration)
          .default(DEFAULT_LEADER_ELECTION.retryPeriodSeconds, '2s'),
      )
      .option('--log-level <level>', 'trace, debug, info, warn, error', process.env.EDGE_LOG_LEVEL ?? 'info')
      .showHelpAfterError()
  );
}

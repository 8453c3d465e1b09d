/** The hub's options (`Hub.create`), and its store backend: the tunables `edge-hub`'s flags set. */
import type { Clock, Logger } from '../api/index.js';
import type { ZoneEvictionOptions } from './controllers/index.js';
import type { NodeGatewayDeps } from './gateway/index.js';
import type { LeaderElectionTimings } from './leader/index.js';
import type { EventRate } from './reconcile/index.js';
import type { EtcdTlsFiles } from './store/index.js';
import type { HubTlsOptions } from './tls/index.js';

/** Tunables of the hub; every one has an edge-friendly default. */
export interface HubOptions {
  /** The hub's own files: PKI, tokens, keyring, blobs, and the SQLite store unless `store` says etcd. */
  dataDir: string;
  /** Where objects live: SQLite in the data dir (default) or an etcd cluster (`--store etcd`). */
  store?: HubStoreOptions;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /**
   * The URL nodes reach this hub at, told to the nodes of every hub on the same etcd so they can fail
   * over here (`--advertise-url`); default: the listen address, unless it is a wildcard (0.0.0.0, ::).
   */
  advertiseUrl?: string;
  logger: Logger;
  clock?: Clock;
  /**
   * Called once the hub has stopped itself because it cannot go on: its SQLite store failed for good (a
   * log sync failed, or its commit worker ended), so it would refuse every write while its watchers
   * heard nothing. `edge-hub` exits non-zero, for its supervisor to restart it on what is on disk.
   */
  onFatal?: (err: Error) => void;
  /** Seconds without heartbeat before a node is marked Ready=Unknown. */
  nodeGracePeriodSeconds?: number;
  /** Seconds a node may stay not-Ready before its pods are deleted for rescheduling. */
  podEvictionTimeoutSeconds?: number;
  /** Per-zone node eviction rates (`--node-eviction-rate` and friends; Kubernetes' defaults). */
  nodeEviction?: ZoneEvictionOptions;
  /** How often nodes send heartbeats (a fleet within the heartbeat budget; default 2). */
  heartbeatIntervalSeconds?: number;
  /**
   * Most heartbeats a second the hub takes from its nodes (default 500): a larger fleet beats more
   * slowly, and its grace period grows with its interval (`gateway/heartbeat-pace.ts`). 0: no budget.
   */
  maxHeartbeatsPerSecond?: number;
  /**
   * TLS handshakes the hub works on at once (default 256); more accepted connections wait, unread,
   * newest first, and are closed after 5 s (`tls/handshake-gate.ts`). 0: no bound.
   */
  maxHandshakesInFlight?: number;
  /** Concurrent watches per user (default 100). */
  maxWatchesPerUser?: number;
  /** Concurrent followed logs per user (default 20). */
  maxLogFollowsPerUser?: number;
  /** Concurrent exec/attach/port-forward streams per user (default 32). */
  maxPodStreamsPerUser?: number;
  /** Seconds an Event is kept after its last update (default 3600, as Kubernetes). */
  eventTtlSeconds?: number;
  /**
   * How fast the hub writes its own Events (`--event-qps`, `--event-burst`; default 50/s, burst 100):
   * past it they are dropped and counted (`edgeplane_events_dropped_total`), as Kubernetes' are.
   */
  eventRate?: Partial<EventRate>;
  /** Seconds between two syncs of one HorizontalPodAutoscaler (`--hpa-sync-period`, default 15, at least 1). */
  hpaSyncPeriodSeconds?: number;
  /** Total bytes of the content store (default 10 GiB). */
  blobStoreMaxBytes?: number;
  /** Largest blob upload (default 256 MiB). */
  blobMaxUploadBytes?: number;
  /** Seconds an unreferenced blob is kept after its last upload (default 3600). */
  blobGcGraceSeconds?: number;
  /**
   * Serve plain HTTP (`--insecure-http`): tokens cross the network in clear. Off by default: the hub
   * serves HTTPS with its own cluster CA (or the user's certificate, see `tls`).
   */
  insecureHttp?: boolean;
  /** Keyring encrypting Secrets at rest (`--encryption-key-file`; default `<dataDir>/encryption.keys`). */
  encryptionKeyFile?: string;
  /** TLS settings: extra serving-certificate names, lifetimes, a user's certificate and client CA. */
  tls?: Pick<
    HubTlsOptions,
    'sans' | 'servingCertLifetimeSeconds' | 'caLifetimeSeconds' | 'certFile' | 'keyFile' | 'clientCaFile'
  >;
  /** Lifetime of the node certificates the hub signs (`--node-cert-lifetime`, default one year). */
  nodeCertLifetimeSeconds?: number;
  /**
   * Leader election among the hubs on one etcd (`--leader-elect*`): on by default with the etcd store,
   * where only the leader runs the scheduler and controllers. SQLite has one hub and no election.
   */
  leaderElection?: { enabled?: boolean } & Partial<LeaderElectionTimings>;
  /**
   * Node gateway tuning: duplicate-name check timeout, per-session limits (tests shrink them); tests
   * may give their own hub list (on etcd it comes from the hubs' presence records).
   */
  gateway?: Pick<
    NodeGatewayDeps,
    | 'duplicateCheckTimeoutMs'
    | 'sessionLimits'
    | 'helloTimeoutMs'
    | 'maxExecsPerNode'
    | 'maxLogStreamsPerNode'
    | 'nodeEventRate'
    | 'nodeFrameLimits'
    | 'admissionLimits'
    | 'serviceCoalesceMs'
    | 'hubList'
  >;
}

/** The hub's store backend (`--store`, `--etcd-*`). */
export type HubStoreOptions =
  | {
      kind: 'sqlite';
      /** How the write-ahead log is synced to disk (default `fdatasync`); a test passes one that fails. */
      syncLog?: (fd: number) => Promise<void>;
    }
  | {
      kind: 'etcd';
      /** Client URLs of the etcd members (`--etcd-endpoints`). */
      endpoints: string[];
      /** `--etcd-cafile/--etcd-certfile/--etcd-keyfile`. */
      tls?: EtcdTlsFiles;
      /** Prefix of the cluster's keys (`--etcd-prefix`, default `/edgeplane`). */
      keyPrefix?: string;
    };

/**
 * The hub's `Store` on etcd v3, for control planes of several hubs (issue 19).
 *
 * Client choice: the `etcd3` npm package is minimally maintained (few releases, open issues on
 * reconnection and on current grpc-js). This store speaks etcd's gRPC API directly instead, with
 * `@grpc/grpc-js` (the gRPC project's own pure-JavaScript client: no native build on a Pi, maintained
 * with Node's releases) and `@grpc/proto-loader` reading etcd's own `.proto` files, vendored in
 * `proto/` from etcd v3.4.23 (the release Debian ships). The store uses few calls (Range, Txn,
 * Compact, Watch), so the thin layer it needs (failover between members, watch resumption) is small
 * and ours to test against a real etcd.
 */
export { EtcdStore, type EtcdMemberHealth, type EtcdStoreOptions } from './etcd-store.js';
export { EtcdUnavailableError, type EtcdTlsFiles } from './connection.js';

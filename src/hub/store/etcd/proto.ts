/**
 * etcd's v3 API as @grpc/proto-loader reads it from the vendored `proto/` files, and TypeScript shapes
 * of the few messages the store sends and receives (field names as in rpc.proto/kv.proto: the loader
 * keeps their case). int64 fields arrive as decimal strings (`longs: String`), bytes as Buffers.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * The proto files ship in `src/` (tsc copies no assets); `src/` and `dist/` sit at the same depth
 * under the package root, so this path is right from either.
 */
const PROTO_DIR = fileURLToPath(new URL('../../../../src/hub/store/etcd/proto/', import.meta.url));

/** An int64 as proto-loader hands it over (decimal string) or as we send it. */
export type Int64 = string | number;

/** mvccpb.KeyValue */
export interface KeyValue {
  key: Buffer;
  create_revision: Int64;
  mod_revision: Int64;
  version: Int64;
  value: Buffer;
  lease: Int64;
}

/** etcdserverpb.ResponseHeader */
export interface ResponseHeader {
  cluster_id: Int64;
  member_id: Int64;
  revision: Int64;
  raft_term: Int64;
}

/** etcdserverpb.RangeRequest (the fields used). */
export interface RangeRequest {
  key: Buffer;
  range_end?: Buffer;
  limit?: Int64;
  revision?: Int64;
  keys_only?: boolean;
  count_only?: boolean;
  serializable?: boolean;
}

/** etcdserverpb.RangeResponse */
export interface RangeResponse {
  header: ResponseHeader;
  kvs: KeyValue[];
  more: boolean;
  count: Int64;
}

/** etcdserverpb.Compare (the fields used). */
export interface Compare {
  result: 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
  target: 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';
  key: Buffer;
  create_revision?: Int64;
  mod_revision?: Int64;
}

/** etcdserverpb.RequestOp (the operations used). */
export type RequestOp =
  | { request_put: { key: Buffer; value: Buffer; lease?: Int64 } }
  | { request_range: RangeRequest }
  | { request_delete_range: { key: Buffer } };

/** etcdserverpb.TxnRequest */
export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

/** etcdserverpb.ResponseOp (the variants read). */
export interface ResponseOp {
  response_range?: RangeResponse;
}

/** etcdserverpb.TxnResponse */
export interface TxnResponse {
  header: ResponseHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}

/** etcdserverpb.CompactionRequest */
export interface CompactionRequest {
  revision: Int64;
  physical?: boolean;
}

/** mvccpb.Event */
export interface WatchEventMessage {
  type: 'PUT' | 'DELETE';
  kv: KeyValue;
  prev_kv: KeyValue | null;
}

/** etcdserverpb.WatchRequest (create and cancel). */
export type WatchRequest =
  | {
      create_request: {
        key: Buffer;
        range_end: Buffer;
        start_revision: Int64;
        prev_kv: boolean;
        progress_notify?: boolean;
      };
    }
  | { cancel_request: { watch_id: Int64 } };

/** etcdserverpb.WatchResponse */
export interface WatchResponse {
  header: ResponseHeader;
  watch_id: Int64;
  created: boolean;
  canceled: boolean;
  compact_revision: Int64;
  cancel_reason: string;
  events: WatchEventMessage[];
}

/** etcdserverpb.StatusResponse (the fields used). */
export interface StatusResponse {
  header: ResponseHeader;
  version: string;
  leader: Int64;
}

/** A service client built from the loaded definition (methods looked up by name). */
export type ServiceClient = grpc.Client & Record<string, unknown>;

/** Constructors of the three services the store uses. */
export interface EtcdServices {
  KV: grpc.ServiceClientConstructor;
  Watch: grpc.ServiceClientConstructor;
  Maintenance: grpc.ServiceClientConstructor;
  Lease: grpc.ServiceClientConstructor;
}

let loaded: EtcdServices | undefined;

/** Loads the vendored protos once per process. */
export function etcdServices(): EtcdServices {
  if (loaded) return loaded;
  const def = protoLoader.loadSync('rpc.proto', {
    includeDirs: [PROTO_DIR],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { etcdserverpb: EtcdServices };
  loaded = pkg.etcdserverpb;
  return loaded;
}

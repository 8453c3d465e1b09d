/**
 * The health of each etcd member, asked of that member alone: what `componentstatuses` shows for the
 * store (split from `etcd-store.ts`, which re-exports the type).
 */
import { errorMessage } from '../../../api/index.js';
import { grpcDetails, type EtcdConnection } from './connection.js';
import type { Int64 } from './proto.js';

/** One etcd member's health as its own Status call tells it. */
export interface EtcdMemberHealth {
  /** `host:port` as given. */
  endpoint: string;
  healthy: boolean;
  /** etcd's version (when it answered). */
  version?: string;
  /** True when this member is the raft leader. */
  raftLeader?: boolean;
  /** Why it is not healthy. */
  error?: string;
}

interface EtcdStatusResponse {
  header: { member_id: Int64 };
  version: string;
  leader: Int64;
  errors?: string[];
}

/**
 * Each member's health (Maintenance.Status, `timeoutMs` each, in parallel): healthy when it answers,
 * knows a raft leader and reports no alarm — as kube-apiserver reports its etcd servers.
 */
export async function etcdMemberHealth(conn: EtcdConnection, timeoutMs: number): Promise<EtcdMemberHealth[]> {
  return Promise.all(
    conn.endpoints.map(async (endpoint, i): Promise<EtcdMemberHealth> => {
      try {
        const st = await conn.memberCall<object, EtcdStatusResponse>(i, 'Maintenance', 'Status', {}, timeoutMs);
        const errors = st.errors ?? [];
        const leader = String(st.leader);
        if (leader === '0') return { endpoint, healthy: false, error: 'member has no raft leader' };
        if (errors.length > 0) return { endpoint, healthy: false, error: errors.join('; ') };
        return { endpoint, healthy: true, version: st.version, raftLeader: leader === String(st.header.member_id) };
      } catch (err) {
        return { endpoint, healthy: false, error: grpcDetails(err) || errorMessage(err) };
      }
    }),
  );
}

/**
 * The control plane's health as `v1` ComponentStatus objects (`kubectl get componentstatuses`), from
 * what a hub already knows, with no new traffic between hubs: the leader it sees (the election), the
 * other hubs' presence records (address, nodes, leadership, how long since they last changed) and one
 * Status call per etcd member (or the SQLite store answering). Names follow kube-apiserver where the
 * part exists there (`scheduler`, `controller-manager`, `etcd-<i>`); each hub is `hub-<identity>`.
 */
import type { ComponentCondition, ComponentStatus } from '../../api/index.js';
import { rfc3339 } from '../../api/index.js';
import type { EtcdStore, Store } from '../store/index.js';
import type { HubPeer } from './hub-presence.js';

/** One member of the store as the hub probed it. */
export interface StoreMemberHealth {
  /** The component's name (`etcd-0`, `sqlite`). */
  name: string;
  healthy: boolean;
  /** What a healthy member says (`ok`, its address, version). */
  message?: string;
  /** Why it is not healthy. */
  error?: string;
}

/** What one hub knows of the control plane. */
export interface ControlPlaneView {
  /** This hub's identity. */
  identity: string;
  /** When this hub's current leadership began (ms since the epoch), undefined while it follows. */
  leadingSince: number | undefined;
  /** The leader this hub last saw (undefined: none known). */
  leader: string | undefined;
  /** This hub's address for nodes, if it has one. */
  url: string | undefined;
  /** Nodes connected to this hub now. */
  connectedNodes: number;
  /** The other hubs (empty on SQLite: a hub alone). */
  peers: readonly HubPeer[];
  /** Probes the store's members. */
  store(): Promise<StoreMemberHealth[]>;
}

function component(name: string, condition: Omit<ComponentCondition, 'type'>): ComponentStatus {
  return {
    apiVersion: 'v1',
    kind: 'ComponentStatus',
    metadata: { name },
    conditions: [{ type: 'Healthy', ...condition }],
  };
}

const healthy = (name: string, message: string): ComponentStatus => component(name, { status: 'True', message });
const unhealthy = (name: string, error: string): ComponentStatus => component(name, { status: 'False', error });

function nodesText(n: number): string {
  return `${n} node${n === 1 ? '' : 's'}`;
}

/** The control plane's components as this hub sees them: scheduler, controllers, store members, hubs. */
export async function controlPlaneStatuses(view: ControlPlaneView): Promise<ComponentStatus[]> {
  const store = await view.store();
  const selfLeads = view.leadingSince !== undefined;
  const leaderPeer = view.peers.find((p) => p.live && p.identity === view.leader);
  const since = selfLeads ? rfc3339(view.leadingSince!) : leaderPeer?.leaderSince;
  // The scheduler and the controllers run in the leader hub: healthy while a live hub holds the lease.
  const loops = (name: string): ComponentStatus => {
    if (selfLeads || leaderPeer) {
      const leader = selfLeads ? view.identity : leaderPeer!.identity;
      return healthy(name, `ok: run by hub ${leader}${since !== undefined ? ` since ${since}` : ''}`);
    }
    if (view.leader !== undefined)
      return unhealthy(name, `the leader hub ${view.leader} has no live presence record; waiting for its lease to end`);
    return unhealthy(name, 'no hub holds the leader lease');
  };
  const hub = (p: {
    identity: string;
    url: string | undefined;
    nodes: number;
    leaderSince: string | undefined;
    self: boolean;
  }): ComponentStatus => {
    const role = p.leaderSince !== undefined ? `leader since ${p.leaderSince}` : 'follower';
    const where = p.url ?? 'no node address';
    return healthy(`hub-${p.identity}`, `${role}, ${where}, ${nodesText(p.nodes)}${p.self ? ' (this hub)' : ''}`);
  };
  return [
    loops('scheduler'),
    loops('controller-manager'),
    ...store.map((m) => (m.healthy ? healthy(m.name, m.message ?? 'ok') : unhealthy(m.name, m.error ?? 'unhealthy'))),
    hub({
      identity: view.identity,
      url: view.url,
      nodes: view.connectedNodes,
      leaderSince: selfLeads ? rfc3339(view.leadingSince!) : undefined,
      self: true,
    }),
    ...view.peers.map((p) =>
      p.live
        ? hub({ ...p, self: false })
        : unhealthy(
            `hub-${p.identity}`,
            `no presence update for ${Math.round(p.silentMs / 1000)}s${p.url !== undefined ? ` (${p.url})` : ''}`,
          ),
    ),
  ];
}

/**
 * The store's members as components: each etcd member by its own Status call (`etcd-<i>`, in the order
 * of `--etcd-endpoints`), or `sqlite` when a read of the current revision answers.
 */
export function storeMembers(etcd: EtcdStore | undefined, store: Store): () => Promise<StoreMemberHealth[]> {
  if (etcd)
    return async () =>
      (await etcd.memberHealth()).map((m, i) =>
        m.healthy
          ? {
              name: `etcd-${i}`,
              healthy: true,
              message: `ok: ${m.endpoint}, etcd ${m.version ?? '?'}${m.raftLeader ? ', raft leader' : ''}`,
            }
          : { name: `etcd-${i}`, healthy: false, error: `${m.endpoint}: ${m.error ?? 'unhealthy'}` },
      );
  return async () => {
    try {
      await store.revision();
      return [{ name: 'sqlite', healthy: true, message: 'ok' }];
    } catch (err) {
      return [{ name: 'sqlite', healthy: false, error: err instanceof Error ? err.message : String(err) }];
    }
  };
}

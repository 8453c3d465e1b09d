/**
 * Sends the cluster's hub list to the connected nodes (the `hubs` frame of `wire-hubs.ts`): the whole
 * list right after a node's welcome, and again to every node whenever it changes, so a node started
 * with one `--server` learns where else it can go. Only nodes that speak protocol 7 get it; an empty
 * list (one hub, or a hub with no address to advertise) is not sent.
 */
import { HUBS_PROTOCOL_VERSION, MAX_HUBS, type HubToNode } from '../../api/index.js';

/** Where the list comes from (the hubs' presence records on etcd). */
export interface HubListSource {
  list(): readonly string[];
  onChange(listener: (urls: readonly string[]) => void): void;
}

/** What of a gateway session the push needs. */
export interface HubListTarget {
  protocol: number;
  send(msg: HubToNode): void;
}

const eligible = (s: HubListTarget): boolean => s.protocol >= HUBS_PROTOCOL_VERSION;

/** Keeps every connected node's hub list current. */
export class HubListPush {
  constructor(
    private readonly source: HubListSource,
    sessions: () => Iterable<HubListTarget>,
  ) {
    source.onChange((urls) => {
      if (urls.length === 0) return;
      const frame = { type: 'hubs', urls: urls.slice(0, MAX_HUBS) } as const;
      for (const s of sessions()) if (eligible(s)) s.send(frame);
    });
  }

  /** Sends a just-welcomed node the current list. */
  welcome(session: HubListTarget): void {
    const urls = this.source.list();
    if (!eligible(session) || urls.length === 0) return;
    session.send({ type: 'hubs', urls: urls.slice(0, MAX_HUBS) });
  }
}

/**
 * Sends the revoked node keys to the connected nodes (the `revokedKeys` frame of `wire-trust.ts`):
 * the whole list right after a node's welcome, and again to every node whenever it changes. Only
 * nodes that connected with a certificate (a TLS hub: their mesh is mTLS) and speak protocol 3 get it.
 */
import { TRUST_PROTOCOL_VERSION, type HubToNode, type RevokedKey } from '../../api/index.js';
import type { RevokedNodeKeys } from './revoked-keys.js';

/** What of a gateway session the push needs. */
export interface RevocationTarget {
  protocol: number;
  certifiedName: string | undefined;
  send(msg: HubToNode): void;
}

const eligible = (s: RevocationTarget): boolean =>
  s.certifiedName !== undefined && s.protocol >= TRUST_PROTOCOL_VERSION;

/** Keeps every connected node's list of revoked keys current. */
export class RevocationPush {
  constructor(
    private readonly revoked: Pick<RevokedNodeKeys, 'list' | 'onChange'>,
    sessions: () => Iterable<RevocationTarget>,
  ) {
    revoked.onChange((keys) => {
      const frame = { type: 'revokedKeys', keys } as const;
      for (const s of sessions()) if (eligible(s)) s.send(frame);
    });
  }

  /** Sends a just-welcomed node the current list. */
  welcome(session: RevocationTarget): void {
    if (!eligible(session)) return;
    const keys: RevokedKey[] = this.revoked.list();
    session.send({ type: 'revokedKeys', keys });
  }
}

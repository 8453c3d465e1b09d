/** How a join token is written for a node. */
import { formatJoinToken as pinned } from '../../../pki/index.js';

/**
 * The join string a node is given: K3s's `K10<ca-hash>::<id>.<secret>` when the CA's hash is known
 * (the node pins the hub's CA with it), else the bare `id.secret`.
 */
export function formatJoinToken(bearer: string, caHash?: string): string {
  return caHash === undefined ? bearer : pinned(caHash, bearer);
}

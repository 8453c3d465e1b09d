/**
 * Authentication by Token objects: `id.secret` → the Token named `id` (from the informer's cache),
 * its secret digest compared in constant time, its expiry checked against the injected clock. A
 * deleted or expired token authenticates nothing from then on; a bootstrap token is a bootstrap
 * principal (it may only join), any other a user with its groups.
 */
import { TOKEN_FORMAT, type Clock, type Token } from '../../../api/index.js';
import { userPrincipal, type Principal } from '../principal.js';
import { secretMatches } from './issue.js';

/** Where tokens are read from (the Token informer). */
export interface TokenIndex {
  get(namespace: string | undefined, name: string): Token | undefined;
}

/** Authenticates bearer tokens against Token objects. */
export class TokenObjectAuthenticator {
  constructor(
    private readonly tokens: TokenIndex,
    private readonly clock: Clock,
  ) {}

  /** The principal of `bearer`, or undefined (unknown, wrong secret, expired, being deleted). */
  authenticate(bearer: string): Principal | undefined {
    const m = TOKEN_FORMAT.exec(bearer);
    if (!m) return undefined;
    const [, id = '', secret = ''] = m;
    const token = this.tokens.get(undefined, id);
    if (!token || token.metadata.deletionTimestamp !== undefined) return undefined;
    if (!secretMatches(token.spec.secretHash, secret)) return undefined;
    const exp = token.spec.expiration;
    if (exp !== undefined && Date.parse(exp) <= this.clock.now()) return undefined;
    if ((token.spec.usages ?? []).includes('bootstrap')) return { kind: 'bootstrap', tokenId: id };
    return token.spec.user === undefined ? undefined : userPrincipal(token.spec.user, token.spec.groups ?? []);
  }
}

/**
 * Join tokens in K3s's form, `K10<ca-hash>::<secret>`: the hash (sha256 hex, see `caHash`) lets a
 * joining node check the hub's CA before it sends the secret. A bare secret carries no hash; the node
 * must then be given the CA another way (`--ca-file`). Errors never include the token: it is a secret.
 */
import { InvalidJoinTokenError } from './errors.js';

/** A parsed join token. */
export interface JoinToken {
  /** sha256 hex of the cluster CA, when the token pins it. */
  caHash?: string;
  secret: string;
}

const MAX_TOKEN_LENGTH = 4096;
const SECRET = /^[\x21-\x7e]+$/;
const HASH = /^[0-9a-f]{64}$/;

/** Formats a pinned join token. */
export function formatJoinToken(hash: string, secret: string): string {
  if (!HASH.test(hash)) throw new InvalidJoinTokenError('join token: the CA hash must be 64 lower-case hex digits');
  checkSecret(secret);
  return `K10${hash}::${secret}`;
}

/**
 * Parses a join token (surrounding whitespace, as in a token file's trailing newline, is ignored).
 * A text starting with `K10` must be a well-formed pinned token; anything else is a bare secret.
 */
export function parseJoinToken(text: string): JoinToken {
  const token = text.trim();
  if (token.length === 0) throw new InvalidJoinTokenError('join token: empty');
  if (token.length > MAX_TOKEN_LENGTH) throw new InvalidJoinTokenError(`join token: longer than ${MAX_TOKEN_LENGTH}`);
  if (!token.startsWith('K10')) {
    checkSecret(token);
    return { secret: token };
  }
  const sep = token.indexOf('::');
  if (sep < 0) throw new InvalidJoinTokenError('join token: a K10 token must be K10<ca-hash>::<secret> (no "::")');
  const hash = token.slice(3, sep);
  if (!HASH.test(hash)) {
    throw new InvalidJoinTokenError('join token: the CA hash after K10 must be 64 lower-case hex digits');
  }
  const secret = token.slice(sep + 2);
  checkSecret(secret);
  return { caHash: hash, secret };
}

function checkSecret(secret: string): void {
  if (secret.length === 0) throw new InvalidJoinTokenError('join token: the secret is empty');
  if (!SECRET.test(secret)) {
    throw new InvalidJoinTokenError('join token: the secret must be printable ASCII without spaces');
  }
}

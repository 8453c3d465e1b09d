/**
 * `auth.edgeplane.io/v1 Token`: a bearer token as a managed object (Kubernetes keeps bootstrap tokens
 * as Secrets, which Edgeplane does not have yet). The name is the token id (`[a-z0-9]{6}`); the
 * secret (`[a-z0-9]{16}`, kubeadm's `id.secret` format) is made by the hub, answered once in the create
 * response (`status.token`, as TokenRequest does) and stored only as a digest.
 */
import { z } from 'zod';
import { TOKEN_GROUP } from './kinds.js';
import { objectShape } from './meta.js';

/** The API group of tokens. */

/** kubeadm's bootstrap token format, `id.secret`. */
export const TOKEN_FORMAT = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

const tokenBase = objectShape(`${TOKEN_GROUP}/v1`, 'Token');

export const TokenSpec = z.strictObject({
  description: z.string().max(1024).optional(),
  /** RFC 3339 time after which the token authenticates nothing; absent: never expires. */
  expiration: z.iso.datetime({ offset: true }).optional(),
  /** `bootstrap`: the token may only join nodes (group `system:bootstrappers`). */
  usages: z.array(z.literal('bootstrap')).optional(),
  /** A user token: the user it authenticates as, and its groups. */
  user: z.string().min(1).optional(),
  groups: z.array(z.string().min(1)).optional(),
  /** `sha256:<hex>` of the secret, set by the hub; a client's value is replaced. */
  secretHash: z.string().optional(),
});
export type TokenSpec = z.infer<typeof TokenSpec>;

export const Token = z.strictObject({
  ...tokenBase,
  metadata: tokenBase.metadata.extend({
    name: z
      .string()
      .regex(/^[a-z0-9]{6}$/, { message: 'must be a token id: 6 characters of [a-z0-9]' })
      .optional(),
  }),
  spec: TokenSpec,
  /**
   * Only in the create response, never stored: `token` is `id.secret`; `joinToken`, for a bootstrap
   * token, the string a node joins with (`K10<ca-hash>::id.secret`).
   */
  status: z.strictObject({ token: z.string().optional(), joinToken: z.string().optional() }).optional(),
});
export type Token = z.infer<typeof Token>;

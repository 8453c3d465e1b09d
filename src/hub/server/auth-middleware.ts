/**
 * Authentication and authorisation of API requests. Nodes may only read blobs (the gateway
 * authenticates their WebSocket itself); read-only users may only read; admins may do anything.
 */
import type { MiddlewareHandler } from 'hono';
import { BLOB_PATH, ForbiddenError, UnauthorizedError } from '../../api/index.js';
import type { TokenAuth } from '../auth/index.js';
import type { ApiEnv } from './types.js';

const READ_METHODS = new Set(['GET', 'HEAD']);

/** Requires a valid bearer token and a role allowed to do what the request asks. */
export function requireAuth(auth: Pick<TokenAuth, 'verify'>): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    // The scheme is case-insensitive (RFC 7235); the token itself is not.
    const token = /^bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const principal = token === undefined ? undefined : auth.verify(token);
    if (!principal) throw new UnauthorizedError();
    const read = READ_METHODS.has(c.req.method);
    if (principal.kind === 'node') {
      if (!read || !c.req.path.startsWith(`${BLOB_PATH}/`)) throw new ForbiddenError(`node credentials may not ${c.req.method} ${c.req.path}`);
    } else if (principal.role !== 'admin' && !read) {
      throw new ForbiddenError(`user "${principal.name}" (${principal.role}) may not ${c.req.method} ${c.req.path}`);
    }
    c.set('principal', principal);
    await next();
  };
}

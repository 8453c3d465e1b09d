/**
 * Bearer-token authentication. On first start the hub writes `admin.token` (user `admin`, role
 * admin) and `join.token` (edge nodes) into its data directory, mode 0600, and reuses them after.
 * More users can be listed in an optional `tokens.json`: `{"users": [{"name", "token", "role"}]}`.
 */
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { BadRequestError, type Logger } from '../../api/index.js';
import { writeFileDurable } from '../../durable/index.js';
import { parseJoinToken } from '../../pki/index.js';

/** What a user may do: `admin` everything, `read-only` GET/HEAD/watch. */
export type Role = 'admin' | 'read-only';

/**
 * The authenticated caller. A user from a client certificate also carries its groups (the
 * certificate's O values); a node from its certificate carries its name, while the shared join token
 * authenticates as a node without one (it may only bootstrap a node's certificate, and on a plain-HTTP
 * hub connect as before).
 */
export type Principal =
  { kind: 'user'; name: string; role: Role; groups?: readonly string[] } | { kind: 'node'; name?: string };

/** Options of `TokenAuth.create`. */
export interface TokenAuthOptions {
  dataDir: string;
  logger: Logger;
}

const TokensFile = z.strictObject({
  users: z.array(
    z.strictObject({ name: z.string().min(1), token: z.string().min(16), role: z.enum(['admin', 'read-only']) }),
  ),
});

interface Entry {
  digest: Buffer;
  principal: Principal;
}

// Tokens are compared as fixed-length digests so the comparison is constant-time whatever the input length.
const digest = (token: string): Buffer => createHash('sha256').update(token).digest();

/**
 * Reads a secret (a token) from a file in the data dir, creating it (32 random bytes, base64url, mode
 * 0600) on first start; an empty file (from a crash of an older version) is replaced.
 */
export async function readOrCreateSecret(path: string): Promise<string> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    if (text !== '') return text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(32).toString('base64url');
  // Durable (data and directory flushed before and after the rename): after a power cut the file holds
  // the whole token or does not exist, never an empty file that would lock every client out.
  await writeFileDurable(path, `${token}\n`, { mode: 0o600 });
  return token;
}

/** Verifies bearer tokens against the hub's token files. */
export class TokenAuth {
  readonly #entries: readonly Entry[];
  /** The admin token (for the hub to print on first start, and for tests). */
  readonly adminToken: string;
  /** The token edge nodes join with. */
  readonly joinToken: string;

  private constructor(entries: Entry[], adminToken: string, joinToken: string) {
    this.#entries = entries;
    this.adminToken = adminToken;
    this.joinToken = joinToken;
  }

  /** Loads the tokens from `dataDir`, generating the admin and join tokens on first start. */
  static async create(opts: TokenAuthOptions): Promise<TokenAuth> {
    await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
    const admin = await readOrCreateSecret(join(opts.dataDir, 'admin.token'));
    // join.token holds K10<ca-hash>::<secret> once the hub has written its CA hash in: the secret is the token.
    const joinToken = parseJoinToken(await readOrCreateSecret(join(opts.dataDir, 'join.token'))).secret;
    const entries: Entry[] = [
      { digest: digest(admin), principal: { kind: 'user', name: 'admin', role: 'admin' } },
      { digest: digest(joinToken), principal: { kind: 'node' } },
    ];
    const extra = await TokenAuth.#readUsers(join(opts.dataDir, 'tokens.json'));
    for (const u of extra)
      entries.push({ digest: digest(u.token), principal: { kind: 'user', name: u.name, role: u.role } });
    opts.logger.debug({ users: extra.length + 1 }, 'tokens loaded');
    return new TokenAuth(entries, admin, joinToken);
  }

  static async #readUsers(path: string): Promise<z.infer<typeof TokensFile>['users']> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const parsed = TokensFile.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new BadRequestError(
        `${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    return parsed.data.users;
  }

  /** The principal a bearer token belongs to, or undefined. Accepts the raw token or `Bearer <token>`. */
  verify(bearer: string | undefined): Principal | undefined {
    if (bearer === undefined) return undefined;
    const token = bearer.startsWith('Bearer ') ? bearer.slice(7).trim() : bearer.trim();
    if (token === '') return undefined;
    const d = digest(token);
    let found: Principal | undefined;
    // No early exit: every entry is compared so timing does not reveal which one matched.
    for (const e of this.#entries) if (timingSafeEqual(e.digest, d)) found ??= e.principal;
    return found;
  }
}

/**
 * Bearer-token authentication. On first start the hub writes `admin.token` (user `admin` in group
 * `system:masters`) into its data directory, mode 0600, and reuses it after. Nodes join with bootstrap
 * tokens, which are Token objects (`tokens/`: `join.token` holds the first one), asked through `tokens`. More users can be listed in an optional `tokens.json`:
 * `{"users": [{"name", "token", "role"?, "groups"?}]}` — `role: admin` puts the user in
 * `system:masters`, `role: read-only` in `edgeplane:read-only` (bound to `view`); what they may do
 * beyond that is RBAC's (Roles and bindings naming the user or its groups).
 */
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { BadRequestError, type Logger } from '../../api/index.js';
import { writeFileDurable } from '../../durable/index.js';
import { GROUP_MASTERS, GROUP_READ_ONLY, userPrincipal, type Principal } from './principal.js';

/** The roles `tokens.json` knows, kept from before RBAC: each is a built-in group. */
export type Role = 'admin' | 'read-only';

const ROLE_GROUPS: Readonly<Record<Role, string>> = { admin: GROUP_MASTERS, 'read-only': GROUP_READ_ONLY };

/** Options of `TokenAuth.create`. */
export interface TokenAuthOptions {
  dataDir: string;
  logger: Logger;
  /** Token objects (`auth.edgeplane.io/v1`), asked for bearers none of the files know. */
  tokens?: { authenticate(bearer: string): Principal | undefined };
  /** The bearer (`id.secret`) of the hub's first bootstrap token, kept for the hub's files and tests. */
  joinToken?: string;
}

const TokensFile = z.strictObject({
  users: z.array(
    z
      .strictObject({
        name: z.string().min(1),
        token: z.string().min(16),
        role: z.enum(['admin', 'read-only']).optional(),
        groups: z.array(z.string().min(1)).optional(),
      })
      .refine((u) => u.role !== undefined || u.groups !== undefined, { message: 'give a role or groups' }),
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
  /**
   * The bearer (`id.secret`) of the hub's first bootstrap token (`join.token`), when the hub made one.
   * It authenticates as a Token object, like every bootstrap token: delete or expire it and it admits nothing.
   */
  readonly joinToken: string;

  readonly #tokens: TokenAuthOptions['tokens'];

  private constructor(entries: Entry[], adminToken: string, joinToken: string, tokens: TokenAuthOptions['tokens']) {
    this.#entries = entries;
    this.#tokens = tokens;
    this.adminToken = adminToken;
    this.joinToken = joinToken;
  }

  /** Loads the token files from `dataDir`, generating the admin token on first start. */
  static async create(opts: TokenAuthOptions): Promise<TokenAuth> {
    await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
    const admin = await readOrCreateSecret(join(opts.dataDir, 'admin.token'));
    const joinToken = opts.joinToken ?? '';
    const entries: Entry[] = [{ digest: digest(admin), principal: userPrincipal('admin', [GROUP_MASTERS]) }];
    const extra = await TokenAuth.#readUsers(join(opts.dataDir, 'tokens.json'));
    for (const u of extra) {
      const groups = [...(u.role ? [ROLE_GROUPS[u.role]] : []), ...(u.groups ?? [])];
      entries.push({ digest: digest(u.token), principal: userPrincipal(u.name, groups) });
    }
    opts.logger.debug({ users: extra.length + 1 }, 'tokens loaded');
    return new TokenAuth(entries, admin, joinToken, opts.tokens);
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
    return found ?? this.#tokens?.authenticate(token);
  }
}

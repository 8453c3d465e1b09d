/**
 * Issuing tokens: the hub makes the id and secret (kubeadm's `[a-z0-9]{6}.[a-z0-9]{16}`), stores the
 * Token with only the secret's digest, and hands the `id.secret` back once.
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import {
  BadRequestError,
  TOKEN_GROUP,
  typeByKind,
  type KubeObject,
  type ResourceType,
  type Token,
  type TokenSpec,
} from '../../../api/index.js';
import type { ObjectAPI, WriteOptions } from '../../registry/index.js';
import { formatJoinToken } from './join-format.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomString(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}

/** `sha256:<hex>` of a token secret, as stored in `spec.secretHash`. */
export function secretHash(secret: string): string {
  return `sha256:${createHash('sha256').update(secret).digest('hex')}`;
}

/** Whether `secret` is the one `hash` was made from (constant-time). */
export function secretMatches(hash: string | undefined, secret: string): boolean {
  if (hash === undefined) return false;
  const want = Buffer.from(hash);
  const got = Buffer.from(secretHash(secret));
  return want.length === got.length && timingSafeEqual(want, got);
}

/** The Token kind. */
export function tokenType(): ResourceType {
  const t = typeByKind(`${TOKEN_GROUP}/v1`, 'Token');
  if (!t) throw new Error('Token kind is not registered');
  return t;
}

/** A created token and its `id.secret`, which exists nowhere else. */
export interface IssuedToken {
  token: Token;
  bearer: string;
}

/**
 * Creates a Token for `spec`; its id is `id` (from an imported `id.secret`) or a fresh one, its
 * secret `secret` or a fresh one. Only the digest of the secret is stored.
 */
export async function issueToken(
  api: ObjectAPI,
  spec: Omit<TokenSpec, 'secretHash'>,
  given?: { id: string; secret: string },
): Promise<IssuedToken> {
  const id = given?.id ?? randomString(6);
  const secret = given?.secret ?? randomString(16);
  const token = await api.create<Token>(tokenType(), {
    apiVersion: `${TOKEN_GROUP}/v1`,
    kind: 'Token',
    metadata: { name: id },
    spec: { ...spec, secretHash: secretHash(secret) },
  });
  return { token, bearer: `${id}.${secret}` };
}

/**
 * `api` where creating a Token issues it: the hub makes the secret (a client's `secretHash` is
 * ignored) and the create response carries `status.token` (`id.secret`), once.
 */
export function issueTokensOnCreate(api: ObjectAPI, caHash?: string): ObjectAPI {
  return {
    async create<T extends KubeObject>(type: ResourceType, obj: unknown, opts?: WriteOptions): Promise<T> {
      // A dry run issues nothing: the registry checks the object and stores nothing.
      if (type.kind !== 'Token' || type.group !== TOKEN_GROUP || opts?.dryRun) return api.create<T>(type, obj, opts);
      const parsed = type.schema.safeParse(obj);
      // An invalid body is left to the registry, which names its causes.
      if (!parsed.success) return api.create<T>(type, obj);
      const input = parsed.data as Token;
      const name = input.metadata.name;
      if (input.metadata.generateName !== undefined)
        throw new BadRequestError('a token id is its name: give metadata.name or leave it to the hub');
      // A client's digest is ignored: the hub makes the secret.
      const spec = { ...input.spec };
      delete spec.secretHash;
      const issued = await issueToken(
        api,
        spec,
        name === undefined ? undefined : { id: name, secret: randomString(16) },
      );
      const bootstrap = (spec.usages ?? []).includes('bootstrap');
      const status = {
        token: issued.bearer,
        ...(bootstrap ? { joinToken: formatJoinToken(issued.bearer, caHash) } : {}),
      };
      return { ...issued.token, status } as unknown as T;
    },
    get: (type, namespace, name) => api.get(type, namespace, name),
    list: (type, opts) => api.list(type, opts),
    update: (type, obj, opts) => api.update(type, obj, opts),
    updateStatus: (type, obj, opts) => api.updateStatus(type, obj, opts),
    delete: (type, namespace, name, opts) => api.delete(type, namespace, name, opts),
    watch: (type, opts, onEvent, onError) => api.watch(type, opts, onEvent, onError),
  };
}

/**
 * A client of the OCI distribution API (`/v2/<name>/manifests/<ref>`, `/v2/<name>/blobs/<digest>`):
 * authorization on demand (see registry-auth.ts), redirects followed without leaking credentials to
 * another origin, manifests verified against the digest asked for (or the one the registry claims),
 * registry errors turned into ImagePullErrors that say what went wrong.
 *
 * A registry is not trusted: a redirect is followed only a few times, never from https to http, never
 * to a link-local address (a cloud's metadata service) or to loopback unless the registry is loopback
 * itself; and what a registry says in an error body is read bounded and cut short, since the error
 * becomes a pod Event whose message the wire caps.
 */
import type { Dispatcher } from 'undici';
import { undici } from '../platform/index.js';
import { ImagePullError, errorMessage } from '../api/index.js';
import type { RegistryAuth } from './platform.js';
import { RegistryCredentials } from './credentials.js';
import { MAX_DETAIL_CHARS, clip, readCapped, readHead } from './bounded-body.js';
import { parseDigest, sha256Digest, verifyBytes } from './digest.js';
import { MANIFEST_ACCEPT, parseManifest, type Descriptor, type ImageIndex, type ImageManifest } from './manifest.js';
import { type ImageReference, formatReference, isLoopbackRegistry, registryApiHost } from './reference.js';
import { RegistryAuthorizer, parseChallenge } from './registry-auth.js';

/** Dependencies of {@link RegistryClient}. */
export interface RegistryClientDeps {
  /** The node's registry credentials. */
  credentials?: RegistryCredentials;
  /** Registries (`host[:port]`) reached over plain HTTP; loopback registries always are. */
  insecureRegistries?: readonly string[];
  /** Deadline of waiting for response headers and between body chunks (default 30 s). */
  timeoutMs?: number;
}

/** The node's registry settings, as given on its command line. */
export interface RegistrySettings {
  /** A `config.json`-style file of registry credentials. */
  config?: string;
  /** Registries (`host[:port]`) reached over plain HTTP. */
  insecureRegistries?: readonly string[];
}

/** A fetched manifest or index with its verified digest. */
export interface FetchedManifest {
  digest: string;
  bytes: Uint8Array;
  document: ImageManifest | ImageIndex;
}

/** Per-request options. */
export interface RequestOpts {
  signal?: AbortSignal;
  /** Overrides the node's credentials for this registry. */
  auth?: RegistryAuth;
}

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_REDIRECTS = 5;

/** The distribution API client. */
export class RegistryClient {
  readonly #auth = new RegistryAuthorizer();
  readonly #insecure: Set<string>;
  readonly #timeoutMs: number;

  constructor(private readonly deps: RegistryClientDeps = {}) {
    this.#insecure = new Set((deps.insecureRegistries ?? []).map((h) => h.toLowerCase()));
    this.#timeoutMs = deps.timeoutMs ?? 30_000;
  }

  /**
   * The node's client from its settings (`--oci-registry-config`, `--oci-insecure-registry`): the
   * credentials file is read here, once, and the one client is shared by both runtimes.
   */
  static async create(settings: RegistrySettings = {}): Promise<RegistryClient> {
    const credentials = settings.config !== undefined ? await RegistryCredentials.load(settings.config) : undefined;
    return new RegistryClient({
      ...(credentials ? { credentials } : {}),
      insecureRegistries: settings.insecureRegistries ?? [],
    });
  }

  /** The node's registry credentials (the Engine API adapters hand them to their daemon). */
  get credentials(): RegistryCredentials | undefined {
    return this.deps.credentials;
  }

  /** Fetches the manifest or index `reference` (a tag or a digest) of `ref`'s repository. */
  async getManifest(ref: ImageReference, reference: string, opts: RequestOpts = {}): Promise<FetchedManifest> {
    const what = `manifest ${formatReference({ registry: ref.registry, repository: ref.repository })}:${reference}`;
    const res = await this.#get(ref, `/manifests/${reference}`, MANIFEST_ACCEPT, what, opts);
    const bytes = await readCapped(res, MAX_MANIFEST_BYTES, what);
    let digest: string;
    if (reference.includes(':')) {
      verifyBytes(bytes, reference, what);
      digest = reference;
    } else {
      digest = sha256Digest(bytes);
      const claimed = header(res, 'docker-content-digest');
      if (claimed?.startsWith('sha256:') && claimed !== digest)
        throw new ImagePullError(`${what}: registry claims digest ${claimed} but the content hashes to ${digest}`);
    }
    return { digest, bytes, document: parseManifest(bytes, header(res, 'content-type')) };
  }

  /** Fetches a small blob (a config, a Wasm module) whole and verifies it; `maxBytes` caps its size. */
  async getBlob(ref: ImageReference, desc: Descriptor, maxBytes: number, opts: RequestOpts = {}): Promise<Uint8Array> {
    const what = `blob ${desc.digest} of ${ref.repository}`;
    if (desc.size > maxBytes)
      throw new ImagePullError(`${what}: ${desc.size} bytes is more than the ${maxBytes} allowed`);
    const res = await this.openBlob(ref, desc.digest, opts);
    // Bounded by the descriptor's size while reading, not after.
    const bytes = await readCapped(res, Math.min(maxBytes, desc.size), what);
    verifyBytes(bytes, desc.digest, what, desc.size);
    return bytes;
  }

  /** Opens a blob for streaming; the caller verifies what it reads (the content store does). */
  async openBlob(ref: ImageReference, digest: string, opts: RequestOpts = {}): Promise<Dispatcher.ResponseData> {
    parseDigest(digest); // it becomes part of the URL
    return this.#get(ref, `/blobs/${digest}`, '*/*', `blob ${digest} of ${ref.repository}`, opts);
  }

  #baseUrl(registry: string): string {
    return `${this.#plainHttp(registry) ? 'http' : 'https'}://${registryApiHost(registry)}`;
  }

  /** Whether `registry` is reached over plain http: loopback, or listed as insecure. */
  #plainHttp(registry: string): boolean {
    return isLoopbackRegistry(registry) || this.#insecure.has(registry.toLowerCase());
  }

  async #get(
    ref: ImageReference,
    subpath: string,
    accept: string,
    what: string,
    opts: RequestOpts,
  ): Promise<Dispatcher.ResponseData> {
    const base = this.#baseUrl(ref.registry);
    const origin = new URL(base).origin;
    const scope = `repository:${ref.repository}:pull`;
    const creds = opts.auth ?? this.deps.credentials?.lookup(ref.registry);
    let auth = this.#auth.cached(ref.registry, scope, creds);
    let challenged = false;
    let url = new URL(`${base}/v2/${ref.repository}${subpath}`);
    for (let hops = 0; ;) {
      const headers: Record<string, string> = { accept, 'user-agent': 'edgeplane-edge-node' };
      // Credentials go to the registry only, never to the storage a blob redirects to.
      if (auth && url.origin === origin) headers.authorization = auth;
      let res: Dispatcher.ResponseData;
      try {
        res = await undici().request(url, {
          method: 'GET',
          headers,
          signal: opts.signal,
          headersTimeout: this.#timeoutMs,
          bodyTimeout: this.#timeoutMs,
        });
      } catch (err) {
        throw new ImagePullError(`${what}: cannot reach ${clip(url.origin, 200)}: ${clip(errorMessage(err))}`, err);
      }
      const location = header(res, 'location');
      if ([301, 302, 303, 307, 308].includes(res.statusCode) && location) {
        await res.body.dump();
        if (++hops > MAX_REDIRECTS) throw new ImagePullError(`${what}: more than ${MAX_REDIRECTS} redirects`);
        url = redirectTarget(url, location, isLoopbackRegistry(ref.registry), what);
        continue;
      }
      if (res.statusCode === 401 && !challenged && url.origin === origin) {
        const challenge = parseChallenge(header(res, 'www-authenticate') ?? '');
        await res.body.dump();
        if (!challenge)
          throw new ImagePullError(
            `${what}: registry ${ref.registry} answered 401 without a usable WWW-Authenticate challenge`,
          );
        auth = await this.#auth.authorize(ref.registry, challenge, scope, creds, {
          ...(opts.signal ? { signal: opts.signal } : {}),
          insecureRegistry: this.#plainHttp(ref.registry),
          timeoutMs: this.#timeoutMs,
        });
        challenged = true;
        continue;
      }
      if (res.statusCode === 200) return res;
      throw await registryError(res, what, ref.registry);
    }
  }
}

function header(res: Dispatcher.ResponseData, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** What the distribution API's 404 error codes mean, in words. */
const NOT_FOUND: Record<string, string> = {
  NAME_UNKNOWN: 'no such repository',
  MANIFEST_UNKNOWN: 'no such tag or digest in the repository',
  BLOB_UNKNOWN: 'no such blob in the repository',
};

/** Turns a failed response into an ImagePullError carrying the registry's own error codes. */
async function registryError(res: Dispatcher.ResponseData, what: string, registry: string): Promise<ImagePullError> {
  // Bounded: an endless error body must not grow the node's memory; the rest is dropped unread.
  const text = await readHead(res);
  let detail: string;
  let codes: string[] = [];
  try {
    const doc = JSON.parse(text) as { errors?: unknown };
    // Only well-formed entries count: a registry's JSON is not trusted to have the documented shape.
    const errors = (Array.isArray(doc.errors) ? doc.errors : []).filter(
      (e): e is { code?: unknown; message?: unknown } => typeof e === 'object' && e !== null,
    );
    codes = errors.map((e) => (typeof e.code === 'string' ? e.code : ''));
    detail = errors
      .map((e) => `${typeof e.code === 'string' ? e.code : 'ERROR'}: ${typeof e.message === 'string' ? e.message : ''}`)
      .join('; ');
  } catch {
    detail = text.trim();
  }
  detail = clip(detail, MAX_DETAIL_CHARS);
  const notFound = codes.map((c) => NOT_FOUND[c]).find((s) => s !== undefined);
  const why =
    res.statusCode === 404
      ? `not found${notFound ? `: ${notFound}` : ''}`
      : res.statusCode === 401 || res.statusCode === 403
        ? `access denied by registry ${registry}`
        : `registry ${registry} answered ${res.statusCode}`;
  return new ImagePullError(`${what}: ${why}${detail ? ` (${detail})` : ''}`);
}

/** A link-local address (IPv4 169.254/16, IPv6 fe80::/10): where clouds serve instance metadata. */
function isLinkLocal(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  // The URL parser writes IPv4 in any notation (2852039166, 0xa9.254…) as dotted quads, and an
  // IPv4-mapped IPv6 address as ::ffff:a9fe:…, so these cover every spelling of a literal address.
  return /^169\.254\.[0-9]+\.[0-9]+$/.test(h) || /^fe[89ab][0-9a-f]?:/.test(h) || /^::ffff:a9fe:/.test(h);
}

/** Loopback or the unspecified address (which reaches the node itself). */
function isLocalHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  // isLoopbackRegistry takes `host[:port]`, so an IPv6 host goes in with its brackets.
  return (
    isLoopbackRegistry(host.toLowerCase()) ||
    h === '0.0.0.0' ||
    h === '::' ||
    h.endsWith('.localhost') ||
    /^::ffff:(127\.|7f)/.test(h)
  );
}

/**
 * Where a redirect from `from` to `location` leads, or an ImagePullError when the node must not go
 * there: another scheme than http(s), a downgrade from https to http, credentials in the URL, a
 * link-local address, or loopback when the registry itself is not on loopback.
 */
export function redirectTarget(from: URL, location: string, registryOnLoopback: boolean, what: string): URL {
  let to: URL;
  try {
    to = new URL(location, from);
  } catch {
    throw new ImagePullError(
      `${what}: the registry redirects to an invalid URL ${JSON.stringify(clip(location, 200))}`,
    );
  }
  const shown = clip(to.origin, 200);
  if (to.protocol !== 'https:' && to.protocol !== 'http:')
    throw new ImagePullError(`${what}: the registry redirects to a ${clip(to.protocol, 20)} URL, not http(s)`);
  if (from.protocol === 'https:' && to.protocol === 'http:')
    throw new ImagePullError(`${what}: the registry redirects from https to plain http (${shown}): refused`);
  if (to.username || to.password)
    throw new ImagePullError(`${what}: the registry redirects to a URL carrying credentials: refused`);
  if (isLinkLocal(to.hostname))
    throw new ImagePullError(`${what}: the registry redirects to the link-local address ${shown}: refused`);
  if (isLocalHost(to.hostname) && !registryOnLoopback)
    throw new ImagePullError(`${what}: the registry redirects to the node's own address ${shown}: refused`);
  return to;
}

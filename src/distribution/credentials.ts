/**
 * Registry credentials of the node, read from a Docker `config.json`-style file (`auths` keyed by
 * registry, each `{auth: base64("user:password")}` or `{username, password}`) — the format of
 * `~/.docker/config.json`, of podman's `auth.json` and of a `kubernetes.io/dockerconfigjson` Secret.
 */
import { readFile } from 'node:fs/promises';
import { errorMessage } from '../api/index.js';
import type { RegistryAuth } from './platform.js';
import { DOCKER_HUB } from './reference.js';

/** Registry host → credentials. */
export class RegistryCredentials {
  readonly #byHost: Map<string, RegistryAuth>;

  constructor(entries: Iterable<[string, RegistryAuth]> = []) {
    this.#byHost = new Map([...entries].map(([host, auth]) => [normalizeHost(host), auth]));
  }

  /** Reads a `config.json`-style file; throws a plain Error naming the file and the problem. */
  static async load(path: string): Promise<RegistryCredentials> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new Error(`cannot read registry credentials ${path}: ${errorMessage(err)}`, { cause: err });
    }
    try {
      return RegistryCredentials.parse(text);
    } catch (err) {
      throw new Error(`registry credentials ${path}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** Parses the JSON text of a `config.json`-style document. */
  static parse(text: string): RegistryCredentials {
    const doc = JSON.parse(text) as {
      auths?: Record<string, { auth?: unknown; username?: unknown; password?: unknown }>;
    };
    if (typeof doc !== 'object' || doc === null || typeof doc.auths !== 'object' || doc.auths === null)
      throw new Error('no "auths" object');
    const entries: Array<[string, RegistryAuth]> = [];
    for (const [host, v] of Object.entries(doc.auths)) {
      if (typeof v !== 'object' || v === null) throw new Error(`auths["${host}"] is not an object`);
      if (typeof v.username === 'string' && typeof v.password === 'string') {
        entries.push([host, { username: v.username, password: v.password }]);
        continue;
      }
      if (typeof v.auth !== 'string') throw new Error(`auths["${host}"] has neither "auth" nor "username"/"password"`);
      const decoded = Buffer.from(v.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon <= 0) throw new Error(`auths["${host}"].auth is not base64 of "user:password"`);
      entries.push([host, { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }]);
    }
    return new RegistryCredentials(entries);
  }

  /** Credentials for `registry` (`host[:port]`), if any. */
  lookup(registry: string): RegistryAuth | undefined {
    return this.#byHost.get(normalizeHost(registry));
  }

  get size(): number {
    return this.#byHost.size;
  }

  /**
   * The credentials a pod's `imagePullSecrets` hold for `registry`, in the pod's order (each document a
   * Docker `config.json`, the `.dockerconfigjson` of a `kubernetes.io/dockerconfigjson` Secret). A
   * document that does not parse is skipped: the API server validated it, and its text must not reach
   * a message or a log.
   */
  static fromPullSecrets(docs: readonly string[], registry: string): RegistryAuth[] {
    const out: RegistryAuth[] = [];
    for (const doc of docs) {
      let parsed: RegistryCredentials;
      try {
        parsed = RegistryCredentials.parse(doc);
      } catch {
        continue;
      }
      const auth = parsed.lookup(registry);
      if (auth) out.push(auth);
    }
    return out;
  }
}

/** `https://index.docker.io/v1/` → `docker.io`; `http://host:5000/v2/` → `host:5000`. */
function normalizeHost(key: string): string {
  const host = key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? DOCKER_HUB : host;
}

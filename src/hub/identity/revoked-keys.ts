/**
 * The node keys revoked by deleting their Node, kept so that every node can refuse them on its mesh
 * port (the hub itself refuses them already: a key counts only while bound to its Node). Deleting a
 * Node adds the keys its credential annotation held, each until the latest time a certificate for it
 * can expire (now + the node certificate lifetime); entries past that are dropped on the next write
 * and never sent. The list lives in the ConfigMap `kube-system/edgeplane-revoked-node-keys` (one line
 * per key: `<spki sha256> <notAfter>`), so it survives restarts and every hub on the store shares it;
 * what nodes are sent is read from the ConfigMap informer, so a change made by any hub reaches them.
 */
import type { Clock, ConfigMap, Logger, Node, RevokedKey } from '../../api/index.js';
import {
  AlreadyExistsError,
  ConflictError,
  MAX_REVOKED_KEYS,
  NotFoundError,
  errorMessage,
  typeByKind,
} from '../../api/index.js';
import type { Informer } from '../informers/index.js';
import type { ObjectAPI } from '../registry/index.js';
import { boundKeys } from './node-credentials.js';

/** Where the list is kept. */
export const REVOKED_KEYS_NAMESPACE = 'kube-system';
export const REVOKED_KEYS_CONFIGMAP = 'edgeplane-revoked-node-keys';
const DATA_KEY = 'keys';
const CONFIG_MAP = typeByKind('v1', 'ConfigMap')!;
const NAMESPACE = typeByKind('v1', 'Namespace')!;
const LINE = /^([0-9a-f]{64}) (\S+)$/;

/** What the list is built from. */
export interface RevokedNodeKeysDeps {
  api: ObjectAPI;
  nodes: Informer<Node>;
  configMaps: Informer<ConfigMap>;
  /** The lifetime of the node certificates the hub signs: how long a revoked key is kept. */
  lifetimeSeconds: number;
  clock: Clock;
  logger: Logger;
}

/** Parses the ConfigMap's lines; malformed ones are skipped. */
function parse(cm: ConfigMap | undefined): RevokedKey[] {
  const out: RevokedKey[] = [];
  for (const line of (cm?.data?.[DATA_KEY] ?? '').split('\n')) {
    const m = LINE.exec(line.trim());
    if (m && !Number.isNaN(Date.parse(m[2]!))) out.push({ spkiSha256: m[1]!, notAfter: m[2]! });
  }
  return out;
}

/** Revoked node keys: recorded when a Node is deleted, read by the gateway for the nodes. */
export class RevokedNodeKeys {
  readonly #deps: RevokedNodeKeysDeps;
  readonly #listeners = new Set<(keys: RevokedKey[]) => void>();

  constructor(deps: RevokedNodeKeysDeps) {
    this.#deps = deps;
    deps.nodes.addHandler({
      onDelete: (node) => {
        const keys = boundKeys(node);
        if (keys.length === 0) return;
        this.revoke(keys).catch((err: unknown) =>
          deps.logger.error(
            { node: node.metadata.name, err: errorMessage(err) },
            'recording the revoked keys of a deleted node failed; other nodes accept its certificate until it expires',
          ),
        );
      },
    });
    const changed = (cm: ConfigMap): void => {
      if (cm.metadata.namespace !== REVOKED_KEYS_NAMESPACE || cm.metadata.name !== REVOKED_KEYS_CONFIGMAP) return;
      const keys = this.list();
      for (const l of this.#listeners) l(keys);
    };
    deps.configMaps.addHandler({ onAdd: changed, onUpdate: (_o, n) => changed(n), onDelete: changed });
  }

  /** The keys revoked now (not yet past their notAfter), from the informer's cache. */
  list(): RevokedKey[] {
    const now = this.#deps.clock.now();
    const cm = this.#deps.configMaps.get(REVOKED_KEYS_NAMESPACE, REVOKED_KEYS_CONFIGMAP);
    return parse(cm).filter((k) => Date.parse(k.notAfter) > now);
  }

  /** Calls `listener` with the whole list whenever it changes. */
  onChange(listener: (keys: RevokedKey[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Adds `keys` (SPKI sha256 hex) to the list, dropping expired entries; retried on a concurrent write. */
  async revoke(keys: readonly string[]): Promise<void> {
    const notAfter = new Date(this.#deps.clock.now() + this.#deps.lifetimeSeconds * 1000).toISOString();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#write(keys, notAfter);
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= 5) throw err;
      }
    }
  }

  async #write(keys: readonly string[], notAfter: string): Promise<void> {
    const { api } = this.#deps;
    let cm: ConfigMap | undefined;
    try {
      cm = await api.get<ConfigMap>(CONFIG_MAP, REVOKED_KEYS_NAMESPACE, REVOKED_KEYS_CONFIGMAP);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    const now = this.#deps.clock.now();
    const entries = new Map(
      parse(cm)
        .filter((k) => Date.parse(k.notAfter) > now)
        .map((k) => [k.spkiSha256, k]),
    );
    for (const k of keys) entries.set(k, { spkiSha256: k, notAfter });
    // Oldest first out past the bound (a flood of deletions must not grow the frame without end).
    const kept = [...entries.values()].slice(-MAX_REVOKED_KEYS);
    const data = { [DATA_KEY]: kept.map((k) => `${k.spkiSha256} ${k.notAfter}`).join('\n') };
    if (cm) {
      await api.update<ConfigMap>(CONFIG_MAP, { ...cm, data });
    } else {
      try {
        await api.create(NAMESPACE, {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: REVOKED_KEYS_NAMESPACE },
        });
      } catch (err) {
        if (!(err instanceof AlreadyExistsError)) throw err;
      }
      await api.create<ConfigMap>(CONFIG_MAP, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: REVOKED_KEYS_CONFIGMAP, namespace: REVOKED_KEYS_NAMESPACE },
        data,
      });
    }
    this.#deps.logger.info({ revoked: keys.length, listed: kept.length }, 'node keys revoked on the mesh');
  }
}

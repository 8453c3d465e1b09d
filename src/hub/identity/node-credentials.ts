/**
 * Which keys a node name is bound to. The binding lives on the Node object itself (an annotation with
 * the sha256 of the SPKI of the current and the previous certificate's key), so every hub on the same
 * store sees it, and deleting the Node (`edgectl delete node X`) unbinds X in the same write. Two keys,
 * not one: a renewal whose answer was lost leaves the node holding the previous key, which still works.
 */
import type { Node } from '../../api/index.js';
import { ConflictError, NODE_CREDENTIALS_ANNOTATION, NotFoundError, typeByKind } from '../../api/index.js';
import type { ObjectAPI } from '../registry/index.js';

const NODE = typeByKind('v1', 'Node')!;

export { NODE_CREDENTIALS_ANNOTATION };

const HASH = /^[0-9a-f]{64}$/;

/** The key hashes bound to a Node (current first), from its annotation; none when absent or malformed. */
export function boundKeys(node: Node | undefined): string[] {
  const text = node?.metadata.annotations?.[NODE_CREDENTIALS_ANNOTATION] ?? '';
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => HASH.test(s))
    .slice(0, 2);
}

/** A node name is bound to another key than the one asking for it. */
export class NodeNameTakenError extends ConflictError {
  constructor(name: string) {
    super(
      `node name "${name}" is already held by another credential; if that node is gone, free the name with ` +
        `"edgectl delete node ${name}" and join again`,
      { kind: 'Node', name },
    );
  }
}

/** Reads and writes node credential bindings through the object API (the store). */
export class NodeCredentials {
  constructor(private readonly api: ObjectAPI) {}

  /** The Node object, or undefined when there is none. */
  async node(name: string): Promise<Node | undefined> {
    try {
      return await this.api.get<Node>(NODE, undefined, name);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** True when `keyHash` is one of the keys bound to node `name` (read from the store, not a cache). */
  async isBound(name: string, keyHash: string): Promise<boolean> {
    const node = await this.node(name);
    return node !== undefined && node.metadata.deletionTimestamp === undefined && boundKeys(node).includes(keyHash);
  }

  /**
   * Binds `keyHash` to node `name`, with `previous` (the key that authenticated a renewal) kept as the
   * second. Creates the Node when there is none (first join). With `previous` undefined (a bootstrap),
   * the name must be unbound or already bound to `keyHash` (a retried join), else NodeNameTakenError.
   * Optimistic: the write carries the read resourceVersion, so two joins racing for one name cannot
   * both win.
   */
  async bind(name: string, keyHash: string, previous?: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#bindOnce(name, keyHash, previous);
      } catch (err) {
        // A concurrent write to the Node (its status, its labels): read it again and retry.
        if (err instanceof NodeNameTakenError || !(err instanceof ConflictError) || attempt >= 5) throw err;
      }
    }
  }

  async #bindOnce(name: string, keyHash: string, previous: string | undefined): Promise<void> {
    const node = await this.node(name);
    if (!node) {
      if (previous !== undefined) throw new NodeNameTakenError(name); // its Node was deleted: revoked
      try {
        await this.api.create<Node>(NODE, {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name, annotations: { [NODE_CREDENTIALS_ANNOTATION]: keyHash } },
          spec: {},
        });
      } catch (err) {
        // Another join created it first: it holds the name now.
        if ((err as { httpStatus?: number }).httpStatus === 409) throw new NodeNameTakenError(name);
        throw err;
      }
      return;
    }
    if (node.metadata.deletionTimestamp !== undefined) throw new NodeNameTakenError(name);
    const bound = boundKeys(node);
    let next: string[];
    if (previous === undefined) {
      // A Node nobody holds a key for (registered before per-node identity) is claimed by its first join.
      if (bound.length > 0 && !bound.includes(keyHash)) throw new NodeNameTakenError(name);
      next = bound.length > 0 ? bound : [keyHash];
    } else {
      if (!bound.includes(previous)) throw new NodeNameTakenError(name);
      next = [keyHash, previous];
    }
    if (next.join(',') === bound.join(',')) return;
    await this.api.update<Node>(NODE, {
      ...node,
      metadata: {
        ...node.metadata,
        annotations: { ...node.metadata.annotations, [NODE_CREDENTIALS_ANNOTATION]: next.join(',') },
      },
    });
  }
}

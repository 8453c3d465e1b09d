/**
 * Writes what nodes report of their images (`images`, protocol 6) to `status.images` of their Node,
 * for the scheduler's ImageLocality. The frame names no node: a session writes its own Node only.
 * Per node one write at a time, the newest list wins (lists reported meanwhile replace each other,
 * never queue), nothing is written when the Node already says it, and a write that lost a race with
 * another status write (the lifecycle's heartbeat) is retried on the fresh object.
 */
import type { Logger, Node } from '../../api/index.js';
import { ConflictError, NotFoundError, errorMessage, typeByKind } from '../../api/index.js';
import type { Informer } from '../informers/index.js';
import { jsonEqual } from '../reconcile/index.js';
import type { ObjectAPI } from '../registry/index.js';

const NODE = typeByKind('v1', 'Node')!;
/** Attempts of one write that keeps losing races with other status writes. */
const ATTEMPTS = 5;

/** Dependencies of {@link NodeImages}. */
export interface NodeImagesDeps {
  api: ObjectAPI;
  nodes: Informer<Node>;
  logger: Logger;
}

/** `status.images` as Kubernetes lists them: one entry per reference. */
export function statusImages(images: readonly string[]): NonNullable<NonNullable<Node['status']>['images']> {
  return images.map((ref) => ({ names: [ref] }));
}

/** Keeps each Node's `status.images` at what its node last reported. */
export class NodeImages {
  /** The newest list of each node not yet written. */
  readonly #pending = new Map<string, readonly string[]>();
  readonly #writing = new Map<string, Promise<void>>();

  constructor(private readonly deps: NodeImagesDeps) {}

  /** `node` (the session's admitted name) holds `images` now; resolves once it is written. */
  report(node: string, images: readonly string[]): Promise<void> {
    this.#pending.set(node, images);
    let writing = this.#writing.get(node);
    if (!writing) {
      writing = this.#drain(node).finally(() => this.#writing.delete(node));
      this.#writing.set(node, writing);
    }
    return writing;
  }

  async #drain(node: string): Promise<void> {
    for (let images = this.#take(node); images; images = this.#take(node)) {
      try {
        await this.#write(node, images);
      } catch (err) {
        this.deps.logger.warn({ node, err: errorMessage(err) }, 'could not write the images of a node');
      }
    }
  }

  #take(node: string): readonly string[] | undefined {
    const images = this.#pending.get(node);
    this.#pending.delete(node);
    return images;
  }

  async #write(node: string, images: readonly string[]): Promise<void> {
    const want = statusImages(images);
    let cur = this.deps.nodes.get(undefined, node);
    for (let attempt = 1; cur; attempt++) {
      if (jsonEqual(cur.status?.images ?? [], want)) return;
      try {
        this.deps.nodes.observe(
          await this.deps.api.updateStatus<Node>(NODE, { ...cur, status: { ...cur.status, images: want } }),
        );
        return;
      } catch (err) {
        if (err instanceof NotFoundError) return;
        if (!(err instanceof ConflictError) || attempt >= ATTEMPTS) throw err;
      }
      cur = await this.deps.api.get<Node>(NODE, undefined, node).catch((err: unknown) => {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      });
    }
  }
}

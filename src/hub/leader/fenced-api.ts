/**
 * The object API a leader's controllers write through: every write first checks that the term it was
 * given for is still current. When leadership is lost the term ends at once, so a reconcile still in
 * flight (or the drain of a stopping work queue) cannot write after another hub may have started to
 * lead; it fails with NotLeaderError and its key is dropped with the queue (the next leader relists).
 * Reads pass through.
 */
import type { KubeObject, ResourceType } from '../../api/index.js';
import { ServiceUnavailableError } from '../../api/index.js';
import type {
  DeleteOptions,
  ListOptions,
  ObjectAPI,
  ObjectList,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from '../registry/index.js';

/** A write attempted by a controller whose leadership term has ended. */
export class NotLeaderError extends ServiceUnavailableError {
  constructor() {
    super('this hub is no longer the leader: controller writes are refused');
  }
}

/** One leadership term: current until `end()`. */
export class LeaderTerm {
  #current = true;
  #resolveEnded: () => void = () => undefined;
  /** Resolves when the term ends. */
  readonly ended = new Promise<void>((resolve) => (this.#resolveEnded = resolve));

  get current(): boolean {
    return this.#current;
  }

  end(): void {
    this.#current = false;
    this.#resolveEnded();
  }
}

/** Whether writes are allowed now: a term, or {@link CurrentTerm}. */
export interface Fence {
  readonly current: boolean;
}

/**
 * The term in force for a loop built once per hub rather than per term (the node lifecycle sweep): no
 * term until the first `enter`, then the one entered last. Writes fenced by it fail between terms.
 */
export class CurrentTerm implements Fence {
  #term: LeaderTerm | undefined;

  get current(): boolean {
    return this.#term?.current === true;
  }

  /** From now on, writes are allowed while `term` is current. */
  enter(term: LeaderTerm): void {
    this.#term = term;
  }
}

/** `api` with writes refused once `term` has ended. */
export class FencedObjectAPI implements ObjectAPI {
  constructor(
    private readonly api: ObjectAPI,
    private readonly term: Fence,
  ) {}

  /** Throws (as a rejection: the write methods are async) once the term has ended. */
  #check(): void {
    if (!this.term.current) throw new NotLeaderError();
  }

  async create<T extends KubeObject>(type: ResourceType, obj: unknown, opts?: WriteOptions): Promise<T> {
    this.#check();
    return this.api.create<T>(type, obj, opts);
  }

  get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): Promise<T> {
    return this.api.get<T>(type, namespace, name);
  }

  list<T extends KubeObject>(type: ResourceType, opts?: ListOptions): Promise<ObjectList<T>> {
    return this.api.list<T>(type, opts);
  }

  async update<T extends KubeObject>(type: ResourceType, obj: unknown, opts?: WriteOptions): Promise<T> {
    this.#check();
    return this.api.update<T>(type, obj, opts);
  }

  async updateStatus<T extends KubeObject>(type: ResourceType, obj: unknown, opts?: WriteOptions): Promise<T> {
    this.#check();
    return this.api.updateStatus<T>(type, obj, opts);
  }

  async delete<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    opts?: DeleteOptions,
  ): Promise<T> {
    this.#check();
    return this.api.delete<T>(type, namespace, name, opts);
  }

  watch<T extends KubeObject>(
    type: ResourceType,
    opts: WatchOptions,
    onEvent: (e: WatchEvent<T>) => void,
  ): Promise<() => void> {
    return this.api.watch<T>(type, opts, onEvent);
  }
}

/**
 * The object API a leader's controllers write through: every write first checks that the term it was
 * given for is still current. When leadership is lost the term ends at once, so a reconcile still in
 * flight (or the drain of a stopping work queue) cannot write after another hub may have started to
 * lead; it fails with NotLeaderError and its key is dropped with the queue (the next leader relists).
 * Reads pass through. Which methods write is said once per method of `ObjectAPI`, checked against the
 * interface: a method added there does not compile here until it is classified.
 */
import { ServiceUnavailableError } from '../../api/index.js';
import type { ObjectAPI } from '../registry/index.js';

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

/** Each method of the object API: a write (fenced) or a read (passed through). */
const ACCESS = {
  create: 'write',
  update: 'write',
  updateStatus: 'write',
  delete: 'write',
  get: 'read',
  list: 'read',
  watch: 'read',
} as const satisfies Record<keyof ObjectAPI, 'read' | 'write'>;

/** Any method of the object API, bound to it, as the fence calls it (its arguments passed on untouched). */
type Method = (...args: never[]) => unknown;

/** `api` with writes refused (as rejections, as the async write methods fail) once `term` has ended. */
export function fenceObjectAPI(api: ObjectAPI, term: Fence): ObjectAPI {
  const fenced: Partial<Record<keyof ObjectAPI, Method>> = {};
  for (const name of Object.keys(ACCESS) as Array<keyof ObjectAPI>) {
    const method = (api[name] as Method).bind(api);
    fenced[name] =
      ACCESS[name] === 'read'
        ? method
        : (...args: never[]) => (term.current ? method(...args) : Promise.reject(new NotLeaderError()));
  }
  return fenced as ObjectAPI;
}

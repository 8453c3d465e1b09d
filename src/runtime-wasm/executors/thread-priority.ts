/**
 * The scheduling priority (nice value, Linux) of one worker thread, set from the main thread by its
 * thread id once the worker has published it. Raising a priority back needs CAP_SYS_NICE: `set`
 * says when the OS refused.
 */
import { setPriority } from 'node:os';

/** A worker thread's nice value (see the file comment). */
export class ThreadPriority {
  #nice = 0;
  #wanted = 0;

  /** `threadId()` is 0 until the worker has told it. */
  constructor(private readonly threadId: () => number) {}

  get nice(): number {
    return this.#nice;
  }

  /** Sets the nice value now; false when the thread id is not known yet or the OS refused. */
  set(nice: number): boolean {
    if (nice === this.#nice) return true;
    const tid = this.threadId();
    if (tid === 0) return false;
    try {
      setPriority(tid, nice);
      this.#nice = nice;
      return true;
    } catch {
      return false;
    }
  }

  /** The nice value to apply as soon as possible (now, or at the next {@link settle}). */
  prefer(nice: number): void {
    this.#wanted = nice;
    this.set(nice);
  }

  /** Applies a preferred value that could not be applied before (the thread id came later). */
  settle(): void {
    if (this.#wanted !== this.#nice) this.set(this.#wanted);
  }
}

/**
 * The bookkeeping both OCI adapters share: their containers by the agent's container id, the
 * listeners of container exits, and the state and pod address read off a container record.
 */
import type { OciContainerSpec, OciContainerState, OciExit } from './adapter.js';

/** What an adapter's container record must carry for the table to answer for it. */
export interface TabledContainer {
  spec: OciContainerSpec;
  /** The pod's address on the adapter's network; undefined with host networking or until known. */
  ip?: string;
}

/** The state fields an adapter knows of a container's process. */
export interface ProcessFacts {
  state: 'created' | 'running' | 'exited';
  pid?: number | undefined;
  startedAt?: string | undefined;
  exit?: OciExit | undefined;
}

/** An adapter's containers and its exit listeners. */
export class ContainerTable<C extends TabledContainer> {
  readonly #containers = new Map<string, C>();
  readonly #listeners = new Set<(exit: OciExit) => void>();

  has(id: string): boolean {
    return this.#containers.has(id);
  }

  /** The container, or undefined when the adapter has none by that id. */
  find(id: string): C | undefined {
    return this.#containers.get(id);
  }

  /** The container; throws when there is none (the runtime asked about a container it never created). */
  get(id: string): C {
    const c = this.#containers.get(id);
    if (!c) throw new Error(`no container ${id}`);
    return c;
  }

  set(id: string, c: C): void {
    this.#containers.set(id, c);
  }

  /** The ids of every container. */
  ids(): string[] {
    return [...this.#containers.keys()];
  }

  delete(id: string): void {
    this.#containers.delete(id);
  }

  /** The pod's address of a container, undefined with host networking. */
  podIP(id: string): string | undefined {
    const c = this.#containers.get(id);
    return c?.spec.hostNetwork ? undefined : c?.ip;
  }

  /** Adds an exit listener; returns its removal. */
  onExit(listener: (exit: OciExit) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Announces an exit to every listener. */
  emit(exit: OciExit): void {
    for (const l of this.#listeners) l(exit);
  }
}

/** A container's observed state from what its adapter knows of its process (`unknown` without one). */
export function containerState(id: string, facts: ProcessFacts | undefined): OciContainerState {
  if (!facts) return { id, state: 'unknown' };
  const st: OciContainerState = { id, state: facts.state };
  if (facts.pid !== undefined) st.pid = facts.pid;
  if (facts.startedAt !== undefined) st.startedAt = facts.startedAt;
  if (facts.exit)
    Object.assign(st, {
      exitCode: facts.exit.exitCode,
      finishedAt: facts.exit.finishedAt,
      oomKilled: facts.exit.oomKilled,
    });
  return st;
}

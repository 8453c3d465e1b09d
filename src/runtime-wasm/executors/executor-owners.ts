/**
 * Who owns each instance living on one executor (main thread): the owner gets its instances' guest
 * output and usage, and is told once when the executor is lost. Split from executor.ts, which keeps
 * the worker's messages and requests; the executor type is a parameter (`E`), as in executor-types.ts.
 */
import type { ActivityNow } from './executor-activity.js';
import { Activity, type OutputChunk } from './executor-protocol.js';
import type { ExecutorLoss, InstanceOwnerOf } from './executor-types.js';

/** The owners of an executor's instances, by instance id. */
export class InstanceOwners<E> {
  readonly #owners = new Map<number, InstanceOwnerOf<E>>();

  /** Instances living on the executor. */
  get size(): number {
    return this.#owners.size;
  }

  set(instanceId: number, owner: InstanceOwnerOf<E>): void {
    this.#owners.set(instanceId, owner);
  }

  get(instanceId: number): InstanceOwnerOf<E> | undefined {
    return this.#owners.get(instanceId);
  }

  /** Forgets an instance; false when it was not here. */
  delete(instanceId: number): boolean {
    return this.#owners.delete(instanceId);
  }

  /** Hands guest output to the owners of the instances that wrote it. */
  output(chunks: readonly OutputChunk[]): void {
    for (const chunk of chunks) this.#owners.get(chunk.instanceId)?.onOutput(chunk.stream, chunk.data);
  }

  /**
   * Hands each instance's usage to its owner: `triples` is (instance id, guest ns, memory bytes)
   * repeated. `onTotal` gets the guest time of them all, in ns (the executor's utilisation).
   */
  usage(triples: readonly number[], onTotal?: (ns: number) => void): void {
    let ns = 0;
    for (let i = 0; i + 2 < triples.length; i += 3) {
      const id = triples[i]!;
      ns += triples[i + 1]!;
      this.#owners.get(id)?.onUsage?.(id, triples[i + 1]!, triples[i + 2]!);
    }
    onTotal?.(ns);
  }

  /** The executor is lost: every owner is told once (however many instances it had here), then forgotten. */
  loseAll(executor: E, loss: ExecutorLoss): void {
    const owners = new Set(this.#owners.values());
    this.#owners.clear();
    for (const owner of owners) owner.onExecutorLost(executor, loss);
  }
}

/**
 * Why the executor was lost and whose instance it was running then (`instanceOfRequest` finds a
 * request's instance): that instance's owner treats it as the culprit rather than a bystander.
 */
export function lossOf(
  reason: string,
  activity: ActivityNow,
  instanceOfRequest: (reqId: number) => number | undefined,
): ExecutorLoss {
  let culpritInstanceId: number | undefined;
  if (activity.kind === Activity.request) culpritInstanceId = instanceOfRequest(activity.id);
  else if (activity.kind === Activity.run || activity.kind === Activity.instantiate) culpritInstanceId = activity.id;
  return culpritInstanceId === undefined ? { reason } : { reason, culpritInstanceId };
}

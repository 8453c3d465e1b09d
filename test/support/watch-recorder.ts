/**
 * Watch timelines for end-to-end tests: every event of a watch on the hub kept with the time it
 * arrived, for tests that measure how fast a transition shows.
 */
import type { KubeObject, ResourceType } from '../../src/api/index.js';
import type { EdgeClient, WatchEventType } from '../../src/cli/index.js';
// Type-only: cluster.ts re-exports this module, so a value import would be a cycle at load time.
import type { Cluster } from './cluster.js';

/** One event of a watch, with the time (ms) it arrived here. */
export interface WatchedEvent<T> {
  at: number;
  type: WatchEventType;
  object: T;
}

/**
 * A running watch of a collection on the hub (`EdgeClient.watch`), keeping every event with its
 * arrival time: the timeline tests measure transitions on (a status flip, a restart) at millisecond
 * resolution, where the objects' own timestamps have one-second resolution.
 */
export class WatchRecorder<T extends KubeObject> {
  readonly events: Array<WatchedEvent<T>> = [];
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;

  constructor(client: EdgeClient, type: ResourceType, opts: { namespace?: string } = {}) {
    this.done = this.read(client, type, opts.namespace).catch(() => undefined);
  }

  /** Ends the watch. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
  }

  private async read(client: EdgeClient, type: ResourceType, namespace: string | undefined): Promise<void> {
    for await (const ev of client.watch<T>(type, { namespace, signal: this.abort.signal })) {
      this.events.push({ at: Date.now(), type: ev.type, object: ev.object });
    }
  }
}

/** Starts watching the collection of `type` (in `namespace`, else all) on `cluster`'s hub. */
export function watchCollection<T extends KubeObject>(
  cluster: Cluster,
  type: ResourceType,
  namespace?: string,
): WatchRecorder<T> {
  return new WatchRecorder<T>(cluster.client, type, { namespace });
}

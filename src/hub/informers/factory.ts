/** One informer per kind, shared by every controller of the hub. */
import type { KubeObject, Logger, ResourceType } from '../../api/index.js';
import { typeByKind } from '../../api/index.js';
import type { ObjectAPI } from '../registry/index.js';
import { Informer } from './informer.js';

export class InformerFactory {
  private readonly informers = new Map<string, Informer>();

  constructor(
    private readonly api: ObjectAPI,
    private readonly logger: Logger,
  ) {}

  /** The shared informer of `apiVersion`/`kind` (created on first use, started by `start()`). */
  for<T extends KubeObject>(apiVersion: string, kind: string): Informer<T> {
    const type = typeByKind(apiVersion, kind);
    if (!type) throw new Error(`unknown kind ${apiVersion}/${kind}`);
    return this.forType<T>(type);
  }

  forType<T extends KubeObject>(type: ResourceType): Informer<T> {
    const key = `${type.group}/${type.kind}`;
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new Informer(this.api, type, this.logger);
      this.informers.set(key, inf);
    }
    return inf as unknown as Informer<T>;
  }

  /** Starts (lists + watches) every informer created so far. */
  async start(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.start()));
  }

  stop(): void {
    for (const i of this.informers.values()) i.stop();
  }
}

/**
 * The usage intake of the controllers' test rigs (HPA, canary): an in-memory `UsageSource` holding the
 * reports the tests write as nodes would send them, and firing the Service wake-ups they ask for. The
 * controllers are under test, not the intake, so no node or scrape is involved.
 */
import { rfc3339 } from '../../../api/index.js';
import type { PodUsageSample, UsageSource } from '../../metrics/index.js';

/** What a report measured; what it leaves out is an idle pod's (no containers, no requests, no errors). */
export type MeasuredUsage = Partial<Omit<PodUsageSample, 'namespace' | 'name' | 'uid' | 'node' | 'timestamp'>>;

/** The nodes' usage reports, as the tests write them, and the wake-ups the tests fire. */
export class MemoryUsage implements UsageSource {
  readonly samples = new Map<string, PodUsageSample>();
  private readonly listeners = new Set<(ns: string, svc: string) => void>();
  pod(ns: string, name: string): PodUsageSample | undefined {
    return this.samples.get(`${ns}/${name}`);
  }
  pods(): PodUsageSample[] {
    return [...this.samples.values()];
  }
  node(): undefined {
    return undefined;
  }
  nodes(): [] {
    return [];
  }
  onServiceWake(l: (ns: string, svc: string) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  /** Fires a wake-up of Service `ns/svc`, as a request waiting for it does. */
  wake(ns: string, svc: string): void {
    for (const l of this.listeners) l(ns, svc);
  }

  /** Records node pi-1's report of pod `default/<name>` (`uid`) over the 5 s ending at `now`. */
  record(now: number, name: string, uid: string, measured: MeasuredUsage): void {
    this.samples.set(`default/${name}`, {
      namespace: 'default',
      name,
      uid,
      node: 'pi-1',
      timestamp: rfc3339(now),
      windowSeconds: 5,
      containers: [],
      requestsPerSecond: 0,
      errorsPerSecond: 0,
      ...measured,
    });
  }
}

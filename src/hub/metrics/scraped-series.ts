/**
 * Unlabelled series whose value is read from somebody else's count at each scrape: the component
 * counts (the usage intake, the relay), the registry only reports. Used by hub-metrics.ts and
 * relay-metrics.ts.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** A counter that reports `read()` whenever it is scraped (the source only ever grows). */
export function scrapedCounter(registers: Registry[], name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers,
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** A gauge set to `read()` whenever it is scraped. */
export function scrapedGauge(registers: Registry[], name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers,
    collect() {
      this.set(read());
    },
  });
}

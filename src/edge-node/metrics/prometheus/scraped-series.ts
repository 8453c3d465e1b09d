/**
 * Labelled series whose values are read at scrape time from the node's own counts (the request
 * accounting, the pods, the Wasm runtime, the relay): the registry only reports them. Each scrape
 * starts from nothing, so a label set that is gone (a pod removed) leaves the exposition with it.
 * Used by node-registry.ts and relay-registry.ts.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** What a scraped series needs of prom-client's Counter and Gauge constructors. */
type SeriesKind<M> = new (config: {
  name: string;
  help: string;
  labelNames: string[];
  registers: Registry[];
  collect: (this: M) => void;
}) => M;

/** Registers on `r` a series of `Kind` that `fill` fills afresh at each scrape. */
function scraped<M extends Counter | Gauge>(
  Kind: SeriesKind<M>,
  r: Registry,
  name: string,
  help: string,
  labelNames: string[],
  fill: (m: M) => void,
): void {
  const series = new Kind({
    name,
    help,
    labelNames,
    registers: [],
    collect() {
      this.reset();
      fill(this);
    },
  });
  r.registerMetric(series);
}

/** A counter whose values `fill` gives at each scrape (its sources only ever grow). */
export function scrapedCounter(
  r: Registry,
  name: string,
  help: string,
  labels: string[],
  fill: (c: Counter) => void,
): void {
  scraped(Counter, r, name, help, labels, fill);
}

/** A gauge whose values `fill` sets at each scrape. */
export function scrapedGauge(
  r: Registry,
  name: string,
  help: string,
  labels: string[],
  fill: (g: Gauge) => void,
): void {
  scraped(Gauge, r, name, help, labels, fill);
}

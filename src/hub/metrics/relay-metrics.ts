/**
 * The hub's side of the mesh relay (`gateway/relay/`) as Prometheus series, read from the relay's own
 * counters on each scrape. No node labels (refusals carry their reason, one of five): a hub of 5,000
 * nodes would otherwise carry up to 5,000² source/target pairs; which node relays what is on each
 * node's own `/metrics` (`edgeplane_mesh_relay_*`, read through the hub).
 */
import { Counter, type Registry } from 'prom-client';
import { scrapedCounter, scrapedGauge } from './scraped-series.js';

/** The relay's figures (`MeshRelay.stats`). */
export interface RelayFigures {
  /** Nodes with a relay listener on this hub. */
  listeners: number;
  /** Relayed connections joined since start. */
  opened: number;
  /** Relayed connections open now. */
  active: number;
  /** Relayed connections refused or never answered, by reason (no listener, a limit, a bad request, no answer in time). */
  refusedBy: Readonly<Record<string, number>>;
  /** Bytes moved, both directions. */
  bytes: number;
  /** Dials sent on to the hub the peer is on (several hubs). */
  redirected: number;
}

/** Registers the relay's series on `registers`, each reading `read()` when scraped. */
export function relayMetrics(registers: Registry[], read: () => RelayFigures): void {
  const counter = (name: string, help: string, pick: (f: RelayFigures) => number): void =>
    scrapedCounter(registers, name, help, () => pick(read()));
  const gauge = (name: string, help: string, pick: (f: RelayFigures) => number): void =>
    scrapedGauge(registers, name, help, () => pick(read()));
  counter('edgeplane_hub_relay_connections_total', 'Relayed mesh connections joined by this hub.', (f) => f.opened);
  gauge('edgeplane_hub_relay_open_connections', 'Relayed mesh connections open on this hub now.', (f) => f.active);
  new Counter({
    name: 'edgeplane_hub_relay_refused_total',
    help: 'Relayed mesh connections refused or not accepted in time, by reason: bad-request, no-listener (the peer has none on this hub), limit (per node), not-accepted, no-offer.',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(read().refusedBy)) this.inc({ reason }, n);
    },
  });
  counter(
    'edgeplane_hub_relay_redirected_total',
    "Relayed mesh connections sent on to the hub the peer's session is on (several hubs).",
    (f) => f.redirected,
  );
  counter('edgeplane_hub_relay_bytes_total', 'Bytes moved through the relay, both directions.', (f) => f.bytes);
  gauge('edgeplane_hub_relay_listeners', 'Nodes with a relay listener on this hub.', (f) => f.listeners);
}

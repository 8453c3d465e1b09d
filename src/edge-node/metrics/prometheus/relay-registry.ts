/**
 * The mesh relay's Prometheus series (issue 20), read at scrape time from `RelayMetrics`
 * (`mesh/relay/relay-metrics.ts`). The relay's added latency per request is
 * `edgeplane_mesh_peer_request_duration_seconds{path="relayed"}` against `{path="direct"}`. Its
 * histograms are counts-histogram.ts's, as the request histograms are.
 */
import type { Registry } from 'prom-client';
import type { RelayMetrics } from '../../mesh/index.js';
import { CountsHistogram } from './counts-histogram.js';
import { scrapedCounter as counter } from './scraped-series.js';

/** Registers the relay's series on `r`. */
export function relayMetrics(r: Registry, m: RelayMetrics): void {
  const dirs = [['dialed', m.dialed] as const, ['accepted', m.accepted] as const];
  counter(r, 'edgeplane_mesh_relay_connections_total', 'Mesh connections through the hub relay: dialed by this node, or accepted for it', ['direction'], (c) => {
    for (const [direction, d] of dirs) c.inc({ direction }, d.connections);
  }); // prettier-ignore
  counter(r, 'edgeplane_mesh_relay_connection_errors_total', 'Relayed connections that could not be opened (the hub refused or timed out, the handshake inside failed)', ['direction'], (c) => {
    for (const [direction, d] of dirs) c.inc({ direction }, d.failures);
  }); // prettier-ignore
  counter(r, 'edgeplane_mesh_relay_bytes_total', "Bytes of the nodes' TLS through the hub relay, sent and received by this node", ['direction', 'flow'], (c) => {
    for (const [direction, d] of dirs) {
      c.inc({ direction, flow: 'sent' }, d.bytesSent);
      c.inc({ direction, flow: 'received' }, d.bytesReceived);
    }
  }); // prettier-ignore
  counter(r, 'edgeplane_mesh_peer_requests_total', 'Requests this node sent to peer nodes, by path (direct or through the hub relay) and result (answered, or failed without an answer)', ['path', 'result'], (c) => {
    for (const path of ['direct', 'relayed'] as const) {
      c.inc({ path, result: 'answered' }, m.requests[path].count);
      c.inc({ path, result: 'error' }, m.requests[path].errors);
    }
  }); // prettier-ignore
  r.registerMetric(new CountsHistogram('edgeplane_mesh_peer_request_duration_seconds', "Time from a peer request's headers sent to its answer's headers, by path: relayed minus direct is the relay's added latency", ['path'], () => (['direct', 'relayed'] as const).map((path) => ({ labels: { path }, counts: m.requests[path] })))); // prettier-ignore
  r.registerMetric(new CountsHistogram('edgeplane_mesh_relay_connect_duration_seconds', "Time to open a relayed connection: the hub's WebSocket upgrades and the nodes' TLS handshake inside", [], () => [{ labels: {}, counts: m.connect }])); // prettier-ignore
}

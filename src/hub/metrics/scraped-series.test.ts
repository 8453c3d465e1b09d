/**
 * The hub's series read from their sources at each scrape (scraped-series.ts through HubMetrics): each
 * scrape reports what the source says then, counters included (no double counting across scrapes).
 */
import { expect, it } from 'vitest';
import { HubMetrics } from './hub-metrics.js';

const value = (text: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);

it('reports the connected nodes, watchers and usage counts as the sources give them at each scrape', async () => {
  const usage = { frames: 3, refusedPods: 1, refusedWakes: 0 };
  let nodes = 2;
  const metrics = new HubMetrics({
    connectedNodes: () => nodes,
    watchers: () => ({ watchers: 7, storeWatches: 4 }),
    usage: () => usage,
  });
  const first = (await metrics.render()).text;
  expect(value(first, 'edgeplane_connected_nodes')).toBe(2);
  expect(value(first, 'apiserver_registered_watchers')).toBe(7);
  expect(value(first, 'edgeplane_store_shared_watches')).toBe(4);
  expect(value(first, 'edgeplane_usage_frames_total')).toBe(3);
  expect(value(first, 'edgeplane_usage_refused_pods_total')).toBe(1);
  expect(value(first, 'edgeplane_service_wakes_refused_total')).toBe(0);
  expect(first).toMatch(/^# TYPE edgeplane_usage_frames_total counter$/m);
  expect(first).toMatch(/^# TYPE edgeplane_connected_nodes gauge$/m);

  nodes = 1;
  usage.frames = 10;
  const second = (await metrics.render()).text;
  expect(value(second, 'edgeplane_connected_nodes')).toBe(1);
  // The source's total, not the sum of two scrapes.
  expect(value(second, 'edgeplane_usage_frames_total')).toBe(10);
});

it('reports the handshake gate as it stands at each scrape, its counters as totals', async () => {
  const metrics = new HubMetrics({ connectedNodes: () => 0 });
  let reading: { inFlight: number; waiting: number; counts: { admitted: number; shed: number } } | undefined;
  metrics.controlPlane.handshakeGate(() => reading);
  const before = (await metrics.render()).text; // not listening yet: nothing to read
  expect(value(before, 'edgeplane_hub_tls_connections_admitted_total')).toBe(0);
  reading = { inFlight: 2, waiting: 5, counts: { admitted: 40, shed: 7 } };
  const first = (await metrics.render()).text;
  expect(value(first, 'edgeplane_hub_tls_handshakes_in_flight')).toBe(2);
  expect(value(first, 'edgeplane_hub_tls_connections_waiting')).toBe(5);
  expect(value(first, 'edgeplane_hub_tls_connections_admitted_total')).toBe(40);
  expect(value(first, 'edgeplane_hub_tls_connections_shed_total')).toBe(7);
  expect(first).toMatch(/^# TYPE edgeplane_hub_tls_connections_shed_total counter$/m);
  reading = { inFlight: 0, waiting: 0, counts: { admitted: 41, shed: 7 } };
  const second = (await metrics.render()).text;
  expect(value(second, 'edgeplane_hub_tls_connections_admitted_total')).toBe(41); // the total, not a sum of scrapes
  expect(value(second, 'edgeplane_hub_tls_handshakes_in_flight')).toBe(0);
});

/**
 * The storm's nodes in two groups, those the hub marked NotReady and the rest, read against their
 * dial logs (`dial-log.ts`): when the dial that got in started and how long the hub took to welcome
 * it, and how many dials failed first and why. It says whether a NotReady node dialed late, backed off
 * after failures, or waited on the hub.
 */
import type { DialRecord } from '../dial-log.js';

/** One group's figures (times in ms after the restarted hub served). */
export interface DialGroup {
  nodes: number;
  /** Start of the welcomed dial, and dial → welcome, as p50 / p90 / max. */
  dialed: [number, number, number];
  dialToWelcome: [number, number, number];
  /** Failed dials after the kill, by reason, summed over the group. */
  failures: Record<string, number>;
  /** Nodes that never got back in. */
  notWelcomed: number;
  /** First NotReady after the hub served (p50 / min / max), for the NotReady group. */
  firstNotReady?: [number, number, number];
}

function quantiles(values: number[]): [number, number, number] {
  if (values.length === 0) return [0, 0, 0];
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return [at(0.5), at(0.9), s[s.length - 1]!];
}

/** The records' figures, times taken from `servedMs` after the mark. */
export function dialGroup(records: DialRecord[], servedMs: number): DialGroup {
  const failures: Record<string, number> = {};
  const dialed: number[] = [];
  const wait: number[] = [];
  let notWelcomed = 0;
  for (const r of records) {
    for (const [k, v] of Object.entries(r.failures)) failures[k] = (failures[k] ?? 0) + v;
    if (r.welcomedAt < 0) {
      notWelcomed++;
      continue;
    }
    dialed.push(r.dialedAt - servedMs);
    wait.push(r.welcomedAt - r.dialedAt);
  }
  return { nodes: records.length, dialed: quantiles(dialed), dialToWelcome: quantiles(wait), failures, notWelcomed };
}

/**
 * Splits the records by whether the node went NotReady (`notReady`: name → first NotReady, ms epoch),
 * `markAt` being the dial logs' mark and `servedMs` the time from it to the restarted hub serving.
 */
export function stormDialGroups(
  records: DialRecord[],
  notReady: Map<string, { from: number }>,
  markAt: number,
  servedMs: number,
): { notReady: DialGroup; ready: DialGroup } {
  const flipped = records.filter((r) => notReady.has(r.name));
  const rest = records.filter((r) => !notReady.has(r.name));
  const first = [...notReady.values()].map((e) => e.from - markAt - servedMs);
  const s = quantiles(first);
  return {
    notReady: { ...dialGroup(flipped, servedMs), firstNotReady: [s[0], first.length ? Math.min(...first) : 0, s[2]] },
    ready: dialGroup(rest, servedMs),
  };
}

/** Failed dials by reason, most first (`refused 12, reset 3`). */
export function reasonsText(failures: Record<string, number>): string {
  return (
    Object.entries(failures)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none'
  );
}

/** The groups as table rows: [metric, value]. */
export function dialGroupRows(groups: { notReady: DialGroup; ready: DialGroup }): Array<[string, string]> {
  const secs = (ms: number): string => `${(ms / 1000).toFixed(1)}`;
  const q = (v: [number, number, number]): string => v.map(secs).join(' / ') + ' s';
  const rows: Array<[string, string]> = [];
  for (const [label, g] of [
    ['NotReady nodes', groups.notReady],
    ['other nodes', groups.ready],
  ] as const) {
    if (g.nodes === 0) continue;
    const reasons = reasonsText(g.failures);
    rows.push([`${label} (${g.nodes}): welcomed dial started after serving p50 / p90 / max`, q(g.dialed)]);
    rows.push([`${label}: that dial → welcome p50 / p90 / max`, q(g.dialToWelcome)]);
    rows.push([
      `${label}: failed dials after the kill (per node ${(Object.values(g.failures).reduce((a, b) => a + b, 0) / g.nodes).toFixed(1)})`,
      reasons,
    ]);
    if (g.notWelcomed > 0) rows.push([`${label}: never welcomed again`, String(g.notWelcomed)]);
    if (g.firstNotReady) {
      const [p50, min, max] = g.firstNotReady;
      rows.push([
        `${label}: first NotReady after serving p50 / min / max`,
        `${secs(p50)} / ${secs(min)} / ${secs(max)} s`,
      ]);
    }
  }
  return rows;
}

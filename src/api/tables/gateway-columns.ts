/**
 * `get gateways` and `get httproutes` as kubectl prints the Gateway API CRDs' printer columns:
 * Gateway NAME CLASS ADDRESS PROGRAMMED AGE; HTTPRoute NAME HOSTNAMES AGE (HOSTNAMES as the JSON list
 * kubectl prints for an array column).
 */
import type { Gateway, HTTPRoute } from '../gateway.js';
import type { KubeObject } from '../meta.js';
import { age } from './age.js';

/** The Programmed condition's status (Unknown until the route controller has seen the Gateway). */
export function gatewayProgrammed(g: Gateway): string {
  return g.status?.conditions?.find((c) => c.type === 'Programmed')?.status ?? 'Unknown';
}

/** The columns of the Gateway API kinds (`KindColumns` of columns.ts, which spreads them in). */
export const GATEWAY_COLUMNS = {
  Gateway: {
    headers: ['CLASS', 'ADDRESS', 'PROGRAMMED', 'AGE'],
    wideHeaders: [] as string[],
    named: true,
    cells: (o: KubeObject, now: number): string[] => {
      const g = o as Gateway;
      return [
        g.spec.gatewayClassName,
        g.status?.addresses?.[0]?.value ?? '',
        gatewayProgrammed(g),
        age(g.metadata.creationTimestamp, now),
      ];
    },
    wideCells: (): string[] => [],
  },
  HTTPRoute: {
    headers: ['HOSTNAMES', 'AGE'],
    wideHeaders: [] as string[],
    named: true,
    cells: (o: KubeObject, now: number): string[] => {
      const r = o as HTTPRoute;
      const hosts = r.spec.hostnames ?? [];
      return [hosts.length === 0 ? '' : JSON.stringify(hosts), age(r.metadata.creationTimestamp, now)];
    },
    wideCells: (): string[] => [],
  },
};

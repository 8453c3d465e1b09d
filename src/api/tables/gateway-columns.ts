/**
 * `get gateways` and `get httproutes` as kubectl prints the Gateway API CRDs' printer columns:
 * Gateway NAME CLASS ADDRESS PROGRAMMED AGE; HTTPRoute NAME HOSTNAMES AGE (HOSTNAMES as the JSON list
 * kubectl prints for an array column); GatewayClass NAME CONTROLLER ACCEPTED AGE (DESCRIPTION with
 * `-o wide`); ReferenceGrant NAME AGE.
 */
import type { Gateway, HTTPRoute } from '../gateway.js';
import type { GatewayClass } from '../gateway-class.js';
import type { KubeObject } from '../meta.js';
import { age } from './age.js';

/** The Programmed condition's status (Unknown until the route controller has seen the Gateway). */
export function gatewayProgrammed(g: Gateway): string {
  return g.status?.conditions?.find((c) => c.type === 'Programmed')?.status ?? 'Unknown';
}

/** The columns of the Gateway API kinds (`KindColumns` of columns.ts, which spreads them in). */
export const GATEWAY_COLUMNS = {
  GatewayClass: {
    headers: ['CONTROLLER', 'ACCEPTED', 'AGE'],
    wideHeaders: ['DESCRIPTION'],
    named: true,
    cells: (o: KubeObject, now: number): string[] => {
      const c = o as GatewayClass;
      return [
        c.spec.controllerName,
        c.status?.conditions?.find((x) => x.type === 'Accepted')?.status ?? 'Unknown',
        age(c.metadata.creationTimestamp, now),
      ];
    },
    wideCells: (o: KubeObject): string[] => [(o as GatewayClass).spec.description ?? ''],
  },
  ReferenceGrant: {
    headers: ['AGE'],
    wideHeaders: [] as string[],
    named: true,
    cells: (o: KubeObject, now: number): string[] => [age(o.metadata.creationTimestamp, now)],
    wideCells: (): string[] => [],
  },
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

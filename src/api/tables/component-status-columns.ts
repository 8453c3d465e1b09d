/**
 * `get componentstatuses` as kube-apiserver's table and kubectl print it: NAME STATUS MESSAGE ERROR,
 * STATUS `Healthy`/`Unhealthy` from the `Healthy` condition (`Unknown` without one).
 */
import type { ComponentStatus } from '../component-status.js';
import type { KubeObject } from '../meta.js';

/** A component's condition as the STATUS column shows it: Healthy, Unhealthy or Unknown. */
export function componentHealth(cs: Pick<ComponentStatus, 'conditions'>): string {
  const c = cs.conditions.find((x) => x.type === 'Healthy');
  if (!c || c.status === 'Unknown') return 'Unknown';
  return c.status === 'True' ? 'Healthy' : 'Unhealthy';
}

/** The columns of `v1 ComponentStatus` (`KindColumns` of columns.ts, which spreads them in). */
export const COMPONENT_STATUS_COLUMNS = {
  ComponentStatus: {
    headers: ['STATUS', 'MESSAGE', 'ERROR'],
    wideHeaders: [] as string[],
    named: true,
    cells: (o: KubeObject): string[] => {
      const cs = o as unknown as ComponentStatus;
      const c = (cs.conditions ?? []).find((x) => x.type === 'Healthy');
      return [componentHealth({ conditions: cs.conditions ?? [] }), c?.message ?? '', c?.error ?? ''];
    },
    wideCells: (): string[] => [],
  },
};

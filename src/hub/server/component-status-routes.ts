/**
 * `GET /api/v1/componentstatuses[/{name}]` (`kubectl get cs`): the control plane's health as this hub
 * sees it (src/hub/leader/component-statuses.ts), answered on each request and never stored; a Table
 * when the client asks for one, as for stored kinds. Read-only: get and list (no watch), as there.
 */
import type { Context, Hono } from 'hono';
import type { ComponentStatus, ComponentStatusList } from '../../api/index.js';
import {
  MethodNotAllowedError,
  NotFoundError,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from '../../api/index.js';
import { listTable, negotiateTable, objectTable, tableResponse } from './table-negotiation.js';
import type { ApiEnv } from './types.js';

const BASE = '/api/v1/componentstatuses';

/** What answers: the components of this hub's control plane. */
export type ComponentStatusSource = () => Promise<ComponentStatus[]>;

type Ctx = Context<ApiEnv>;

/** Mounts the routes (before the generic `/api/*` dispatch); without a source the kind lists empty. */
export function mountComponentStatuses(app: Hono<ApiEnv>, source: ComponentStatusSource | undefined): void {
  const all = async (): Promise<ComponentStatus[]> => (source ? await source() : []);
  const refuseWatch = (c: Ctx): void => {
    const w = c.req.query('watch');
    if (w === 'true' || w === '1') throw new MethodNotAllowedError('watch is not supported on componentstatuses');
  };
  app.get(BASE, async (c) => {
    refuseWatch(c);
    const labels = parseLabelSelector(c.req.query('labelSelector'));
    const fields = parseFieldSelector(c.req.query('fieldSelector'));
    const items = (await all()).filter((cs) => matchesLabels(labels, undefined) && matchesFields(fields, cs));
    const list: ComponentStatusList = { apiVersion: 'v1', kind: 'ComponentStatusList', metadata: {}, items };
    const table = negotiateTable(c.req.header('accept'), c.req.query('includeObject'));
    if (!table) return c.json(list);
    return tableResponse(listTable({ ...list, items }, 'ComponentStatus', table));
  });
  app.get(`${BASE}/:name`, async (c) => {
    refuseWatch(c);
    const name = c.req.param('name');
    const cs = (await all()).find((x) => x.metadata.name === name);
    if (!cs) throw new NotFoundError('componentstatuses', name);
    const table = negotiateTable(c.req.header('accept'), c.req.query('includeObject'));
    return table ? tableResponse(objectTable(cs, table)) : c.json(cs);
  });
}

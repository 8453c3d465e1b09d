import { describe, expect, it } from 'vitest';
import { columnsFor, type Pod } from '../../api/index.js';
import { TableWatchEncoder, negotiateTable, objectTable } from './table-negotiation.js';

// What kubectl 1.32 `get` sends.
const KUBECTL_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'a', namespace: 'default', labels: { app: 'x' }, creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'hello.wasm' }] },
  status: {
    phase: 'Running',
    podIP: '10.0.0.7',
    containerStatuses: [{ name: 'c', image: 'hello.wasm', ready: true, restartCount: 0, state: { running: {} } }],
  },
};

describe('server-side tables', () => {
  it('answers a Table only when the client prefers one', () => {
    expect(negotiateTable(KUBECTL_ACCEPT, undefined)).toEqual({
      version: 'v1',
      includeObject: 'PartialObjectMetadata',
    });
    expect(negotiateTable('application/json;as=Table;v=v1beta1;g=meta.k8s.io', 'Object')?.version).toBe('v1beta1');
    expect(negotiateTable('application/json', undefined)).toBeUndefined();
    expect(negotiateTable('application/json, application/json;as=Table;v=v1;g=meta.k8s.io', undefined)).toBeUndefined();
    expect(() => negotiateTable(KUBECTL_ACCEPT, 'Everything')).toThrow(/includeObject/);
  });

  it('builds the rows from the columns edgectl prints, wide ones at priority 1', () => {
    const now = Date.parse('2026-01-01T00:05:00Z');
    const t = objectTable(pod, { version: 'v1', includeObject: 'PartialObjectMetadata' }, now);
    expect(t.columnDefinitions.map((c) => [c.name, c.priority])).toEqual([
      ['NAME', 0],
      ['READY', 0],
      ['STATUS', 0],
      ['RESTARTS', 0],
      ['AGE', 0],
      ['RUNTIME', 1],
      ['NODE', 1],
      ['IP', 1],
    ]);
    expect(t.columnDefinitions[0]?.format).toBe('name');
    const cols = columnsFor('Pod');
    expect(t.rows[0]?.cells).toEqual(['a', ...cols.cells(pod, now), ...cols.wideCells(pod, now)]);
    expect(t.rows[0]?.cells.slice(0, 5)).toEqual(['a', '1/1', 'Running', '0', '5m']);
    expect(t.rows[0]?.object).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: pod.metadata,
    });
    expect(objectTable(pod, { version: 'v1', includeObject: 'None' }).rows[0]?.object).toBeUndefined();
    expect(objectTable(pod, { version: 'v1', includeObject: 'Object' }).rows[0]?.object).toBe(pod);
  });

  it('sends watch events as one-row tables', () => {
    const enc = new TableWatchEncoder('Pod', { version: 'v1', includeObject: 'PartialObjectMetadata' });
    const line = JSON.parse(Buffer.from(enc.encode({ type: 'MODIFIED', object: pod })).toString()) as {
      type: string;
      object: { kind: string; rows: unknown[] };
    };
    expect(line.type).toBe('MODIFIED');
    expect(line.object.kind).toBe('Table');
    expect(line.object.rows).toHaveLength(1);
  });
});

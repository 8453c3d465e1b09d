import { describe, expect, it } from 'vitest';
import { typeByName, type KubeObject, type Node, type Pod, type ResourceType } from '../../api/index.js';
import {
  formatEndpoints,
  humanDuration,
  podReady,
  podRestarts,
  podStatus,
  renderTable,
  servicePorts,
  nodeStatus,
  tableHeader,
  tableRow,
  listOrObject,
  describeObject,
  type TableOptions,
} from './index.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const ago = (s: number): string => new Date(NOW - s * 1000).toISOString();
const type = (n: string): ResourceType => typeByName(n) as ResourceType;
const opts: TableOptions = { now: NOW, wide: false, allNamespaces: false, withKind: false, showLabels: false };

function pod(over: Partial<Pod['status']> = {}, meta: Partial<Pod['metadata']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default', creationTimestamp: ago(300), ...meta },
    spec: {
      containers: [
        { name: 'app', image: 'edgeplane.hub/app.wasm@sha256:' + 'a'.repeat(64) },
        { name: 'side', image: 'busybox' },
      ],
      nodeName: 'pi-1',
    },
    status: { phase: 'Running', ...over },
  };
}

describe('humanDuration (kubectl format)', () => {
  it.each([
    [0, '0s'],
    [5, '5s'],
    [119, '119s'],
    [180, '3m'],
    [200, '3m20s'],
    [11 * 60, '11m'],
    [3 * 3600 + 20 * 60, '3h20m'],
    [10 * 3600, '10h'],
    [2 * 86400 + 4 * 3600, '2d4h'],
    [30 * 86400, '30d'],
    [3 * 365 * 86400 + 10 * 86400, '3y10d'],
  ])('%i s → %s', (s, want) => expect(humanDuration(s * 1000)).toBe(want));
  it('tolerates small clock skew', () => {
    expect(humanDuration(-1500)).toBe('0s');
    expect(humanDuration(-5000)).toBe('<invalid>');
  });
});

describe('pod columns', () => {
  it('shows the first container waiting reason', () => {
    const p = pod({
      containerStatuses: [
        {
          name: 'app',
          image: 'x',
          ready: false,
          restartCount: 4,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, finishedAt: ago(60) } },
        },
        { name: 'side', image: 'y', ready: true, restartCount: 0, state: { running: {} } },
      ],
    });
    expect(podStatus(p)).toBe('CrashLoopBackOff');
    expect(podReady(p)).toBe('1/2');
    expect(podRestarts(p, NOW)).toBe('4 (60s ago)');
  });
  it('is Terminating when deleted, and the phase otherwise', () => {
    expect(podStatus(pod({}, { deletionTimestamp: ago(1) }))).toBe('Terminating');
    expect(podStatus(pod({ phase: 'Pending' }))).toBe('Pending');
    expect(
      podStatus(
        pod({
          containerStatuses: [
            { name: 'app', image: 'x', ready: false, restartCount: 0, state: { terminated: { exitCode: 137 } } },
          ],
        }),
      ),
    ).toBe('ExitCode:137');
    expect(
      podStatus(
        pod({
          containerStatuses: [
            {
              name: 'app',
              image: 'x',
              ready: false,
              restartCount: 0,
              state: { waiting: { reason: 'ContainerCreating' } },
            },
          ],
        }),
      ),
    ).toBe('ContainerCreating');
  });
  it('prints a kubectl-like table, wide adds RUNTIME NODE IP', () => {
    const p = pod({
      podIP: '10.0.0.5',
      containerStatuses: [{ name: 'app', image: 'x', ready: true, restartCount: 0, state: { running: {} } }],
    });
    const t = type('pods');
    const table = renderTable([tableHeader(t, opts), tableRow(t, p, opts)]);
    expect(table).toBe('NAME    READY   STATUS    RESTARTS   AGE\nweb-1   1/2     Running   0          5m\n');
    const wide = renderTable([
      tableHeader(t, { ...opts, wide: true, allNamespaces: true }),
      tableRow(t, p, { ...opts, wide: true, allNamespaces: true }),
    ]);
    expect(wide.split('\n')[0]).toBe('NAMESPACE   NAME    READY   STATUS    RESTARTS   AGE   RUNTIME   NODE   IP');
    expect(wide.split('\n')[1]).toBe(
      'default     web-1   1/2     Running   0          5m    wasm      pi-1   10.0.0.5',
    );
  });
});

describe('other kinds', () => {
  it('nodes: status, arch, runtimes, capacity', () => {
    const n: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'pi-1', creationTimestamp: ago(2 * 86400 + 4 * 3600) },
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        nodeInfo: { architecture: 'arm64', operatingSystem: 'linux', kubeletVersion: 'v0.1.0' },
        runtimeHandlers: [{ name: 'wasm' }, { name: 'oci' }],
        capacity: { cpu: '4', memory: '3906Mi', pods: '110' },
      },
    };
    expect(nodeStatus(n)).toBe('Ready,SchedulingDisabled');
    expect(tableRow(type('nodes'), n, opts)).toEqual([
      'pi-1',
      'Ready,SchedulingDisabled',
      'arm64',
      'wasm,oci',
      '4',
      '3.8Gi',
      '110',
      '2d4h',
    ]);
    expect(tableHeader(type('nodes'), { ...opts, allNamespaces: true })[0]).toBe('NAME');
  });
  it('services and endpoints', () => {
    expect(
      servicePorts({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {},
        spec: { ports: [{ port: 80, nodePort: 30080 }, { port: 443 }] },
      }),
    ).toBe('80:30080/TCP,443/TCP');
    const ep = {
      apiVersion: 'v1' as const,
      kind: 'Endpoints' as const,
      metadata: {},
      subsets: [{ addresses: ['1', '2', '3', '4'].map((i) => ({ ip: `10.0.0.${i}` })), ports: [{ port: 8080 }] }],
    };
    expect(formatEndpoints(ep)).toBe('10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 1 more...');
    expect(formatEndpoints({ ...ep, subsets: [] })).toBe('<none>');
  });
  it('events: LAST SEEN TYPE REASON OBJECT MESSAGE', () => {
    const ev = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e1', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web-1' },
      reason: 'Scheduled',
      message: 'assigned to pi-1',
      type: 'Normal',
      lastTimestamp: ago(10),
    };
    expect(tableHeader(type('events'), opts)).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    expect(tableRow(type('events'), ev as KubeObject, opts)).toEqual([
      '10s',
      'Normal',
      'Scheduled',
      'pod/web-1',
      'assigned to pi-1',
    ]);
  });
  it('-o json of a list is a v1 List, of one object the object', () => {
    const p = pod();
    expect(listOrObject([p], true)).toBe(p);
    expect(listOrObject([p], false)).toEqual({ apiVersion: 'v1', kind: 'List', items: [p] });
  });
});

describe('describe', () => {
  it('describes a pod with containers, states and events', () => {
    const p = pod({
      containerStatuses: [
        {
          name: 'app',
          image: 'x',
          ready: false,
          restartCount: 2,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error' } },
        },
      ],
    });
    const events = [
      {
        apiVersion: 'v1' as const,
        kind: 'Event' as const,
        metadata: { name: 'e' },
        involvedObject: { name: 'web-1' },
        type: 'Warning' as const,
        reason: 'BackOff',
        message: 'restarting',
        count: 3,
        firstTimestamp: ago(120),
        lastTimestamp: ago(5),
        source: { component: 'edge-node', host: 'pi-1' },
      },
    ];
    const text = describeObject(type('pods'), p, { events }, NOW);
    expect(text).toContain('Name:                web-1\n');
    expect(text).toContain('Node:                pi-1\n');
    expect(text).toMatch(/ {4}State: +Waiting\n {6}Reason: +CrashLoopBackOff\n/);
    expect(text).toMatch(/ {4}Last State: +Terminated\n {6}Reason: +Error\n {6}Exit Code: +1\n/);
    expect(text).toMatch(/ {4}Restart Count: +2\n/);
    expect(text).toContain('Events:\n  Type     Reason   Age              From             Message\n');
    expect(text).toContain('  Warning  BackOff  5s (x3 over 2m)  edge-node, pi-1  restarting\n');
    expect(describeObject(type('pods'), p, { events: [] }, NOW)).toMatch(/Events: +<none>\n$/);
  });
});

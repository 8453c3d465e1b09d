import { describe, expect, it } from 'vitest';
import { decodeObject, encodeObject } from './codec.js';
import { encodeEnvelope } from './envelope.js';
import { protobufType } from './messages.js';

/** A body as Go writes it: every non-pointer field present, unset ones at their zero value. */
function goBody(apiVersion: string, kind: string, message: Record<string, unknown>): Uint8Array {
  const type = protobufType(kind);
  return encodeEnvelope({ apiVersion, kind, raw: type.encode(type.fromObject(message)).finish() });
}

describe('protobuf bodies of kubectl create', () => {
  it('drops unset ("", 0) message fields but keeps empty map values; bytes come back as base64', () => {
    const cm = encodeObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: '', generateName: '' },
      data: { a: '1', empty: '' },
    } as { apiVersion: string; kind: string });
    expect(decodeObject(cm, ['ConfigMap'])).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg' },
      data: { a: '1', empty: '' },
    });
    const secret = encodeObject({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'sec' },
      data: { pw: Buffer.from('s3cret').toString('base64') },
      type: 'Opaque',
    } as { apiVersion: string; kind: string });
    expect(decodeObject(secret, ['Secret'])).toMatchObject({ data: { pw: 'czNjcmV0' }, type: 'Opaque' });
  });

  it('decodes a Deployment with its pod template, and DeleteOptions', () => {
    const d = encodeObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            restartPolicy: '',
            containers: [{ name: 'web', image: 'x', ports: [{ containerPort: 8080, hostPort: 0 }] }],
          },
        },
        strategy: {},
      },
    } as { apiVersion: string; kind: string });
    expect(decodeObject(d, ['Deployment'])).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'x', ports: [{ containerPort: 8080 }] }] },
        },
        strategy: {},
      },
    });
    const opts = encodeObject({ apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 } as {
      apiVersion: string;
      kind: string;
    });
    expect(decodeObject(opts, ['DeleteOptions'])).toEqual({
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
    });
  });

  it('decodes a Service with IntOrString target ports (number, name, unset) as JSON has them', () => {
    const port = (name: string, port: number, targetPort: Record<string, unknown>) => ({
      name,
      protocol: 'TCP',
      port,
      targetPort,
      nodePort: 0,
      appProtocol: '',
    });
    const body = goBody('v1', 'Service', {
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        ports: [
          port('80-8080', 80, { type: 0, intVal: 8080, strVal: '' }),
          port('named', 81, { type: 1, intVal: 0, strVal: 'http' }),
          port('same', 82, { type: 0, intVal: 0, strVal: '' }),
        ],
        selector: { app: 'web' },
        clusterIP: '',
        type: 'ClusterIP',
      },
    });
    expect(decodeObject(body, ['Service'])).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        ports: [
          { name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 },
          { name: 'named', protocol: 'TCP', port: 81, targetPort: 'http' },
          { name: 'same', protocol: 'TCP', port: 82 },
        ],
        selector: { app: 'web' },
        type: 'ClusterIP',
      },
    });
  });

  it('decodes a Job, a Role and a RoleBinding (kubectl create job|role|rolebinding)', () => {
    const job = goBody('batch/v1', 'Job', {
      metadata: { name: 'once' },
      spec: {
        template: { spec: { containers: [{ name: 'once', image: 'x' }], restartPolicy: 'Never' } },
        manualSelector: false,
      },
    });
    expect(decodeObject(job, ['Job'])).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'once' },
      spec: { template: { spec: { containers: [{ name: 'once', image: 'x' }], restartPolicy: 'Never' } } },
    });
    const role = goBody('rbac.authorization.k8s.io/v1', 'Role', {
      metadata: { name: 'reader' },
      rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'], resourceNames: [] }],
    });
    expect(decodeObject(role, ['Role'])).toMatchObject({
      rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }],
    });
    const binding = goBody('rbac.authorization.k8s.io/v1', 'RoleBinding', {
      metadata: { name: 'reader' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'ann', namespace: '' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
    });
    expect(decodeObject(binding, ['RoleBinding'])).toMatchObject({
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'ann' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
    });
  });
});

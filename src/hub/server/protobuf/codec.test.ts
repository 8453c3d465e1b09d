import { describe, expect, it } from 'vitest';
import { decodeObject, encodeObject } from './codec.js';

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
});

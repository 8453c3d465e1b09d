import { describe, expect, it } from 'vitest';
import { InvalidError } from './errors.js';
import { typeByName, type ResourceType } from './registry.js';
import { validateObject } from './validate.js';

const svc = (ports: unknown[]): unknown => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: { type: 'NodePort', selector: { app: 'web' }, ports },
});

function causes(raw: unknown): string[] {
  try {
    validateObject(typeByName('services') as ResourceType, raw);
  } catch (err) {
    if (err instanceof InvalidError) return err.causes.map((c) => `${c.field}: ${c.message}`);
    throw err;
  }
  return [];
}

describe('validation messages in Kubernetes wording', () => {
  it('names the value of a port out of range, as Kubernetes does', () => {
    expect(causes(svc([{ port: 80, nodePort: 70000 }]))).toEqual([
      'spec.ports[0].nodePort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    ]);
    expect(causes(svc([{ port: 0 }]))).toEqual([
      'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    ]);
  });

  it('says "must be less than or equal to" for other bounded numbers', () => {
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: -1,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'a', image: 'x' }] } },
      },
    };
    const got = (() => {
      try {
        validateObject(typeByName('deployments') as ResourceType, deploy);
      } catch (err) {
        if (err instanceof InvalidError) return err.causes.map((c) => `${c.field}: ${c.message}`);
      }
      return [];
    })();
    expect(got).toEqual(['spec.replicas: Invalid value: -1: must be greater than or equal to 0']);
  });
});

describe('a managed-fields trie', () => {
  const withTrie = (fieldsV1: unknown): unknown => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'web',
      managedFields: [{ manager: 'kubectl', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1 }],
    },
    spec: { ports: [{ port: 80 }] },
  });
  const trieCauses = (fieldsV1: unknown, compiled: boolean): string[] => {
    try {
      validateObject(typeByName('services') as ResourceType, withTrie(fieldsV1), { compiled });
    } catch (err) {
      if (err instanceof InvalidError) return err.causes.map((c) => c.field);
      throw err;
    }
    return [];
  };

  it('names the node that is not an object, compiled or not; a cycle ends the walk', () => {
    for (const compiled of [false, true]) {
      expect(trieCauses({ 'f:spec': { 'f:ports': { '.': {} } } }, compiled)).toEqual([]);
      expect(trieCauses({ 'f:spec': 'x' }, compiled)).toEqual(['metadata.managedFields[0].fieldsV1.f:spec']);
      expect(trieCauses({ 'f:a': { 'f:b': [] } }, compiled)).toEqual(['metadata.managedFields[0].fieldsV1.f:a.f:b']);
      expect(trieCauses(new Date(0), compiled)).toEqual(['metadata.managedFields[0].fieldsV1']);
      const cycle: Record<string, unknown> = {};
      cycle['f:self'] = cycle;
      expect(trieCauses(cycle, compiled)).toEqual([]);
    }
  });
});

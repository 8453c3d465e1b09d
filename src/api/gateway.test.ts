import { describe, expect, it } from 'vitest';
import { InvalidError } from './errors.js';
import { gatewayDurationMs } from './gateway.js';
import { typeByName, type ResourceType } from './registry.js';
import { validateObject } from './validate.js';

function causes(plural: string, raw: unknown): string[] {
  try {
    validateObject(typeByName(plural) as ResourceType, raw);
  } catch (err) {
    if (err instanceof InvalidError) return err.causes.map((c) => c.field ?? '');
    throw err;
  }
  return [];
}

const route = (spec: unknown): unknown => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'r', namespace: 'default' },
  spec,
});

describe('Gateway API kinds', () => {
  it('are found by every name kubectl accepts, the group included', () => {
    expect(typeByName('httproutes.gateway.networking.k8s.io')?.kind).toBe('HTTPRoute');
    expect(typeByName('gtw')?.kind).toBe('Gateway');
    expect(typeByName('gateway')?.plural).toBe('gateways');
  });

  it('accept the supported subset of an HTTPRoute', () => {
    expect(
      causes(
        'httproutes',
        route({
          parentRefs: [
            { name: 'web', sectionName: 'http' },
            { group: '', kind: 'Service', name: 'hello', port: 80 },
          ],
          hostnames: ['shop.local', '*.example.com'],
          rules: [
            {
              matches: [
                {
                  path: { type: 'PathPrefix', value: '/api' },
                  headers: [{ name: 'X-Canary', value: '1' }],
                  queryParams: [{ name: 'v', value: '2' }],
                  method: 'GET',
                },
              ],
              filters: [
                { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } },
              ],
              backendRefs: [
                { name: 'hello-v1', port: 80, weight: 90 },
                { name: 'hello-v2', port: 80, weight: 10 },
              ],
              timeouts: { request: '10s' },
            },
          ],
        }),
      ),
    ).toEqual([]);
  });

  it('refuse what is outside the subset, naming the field', () => {
    expect(
      causes('httproutes', route({ rules: [{ matches: [{ path: { type: 'RegularExpression', value: '/a.*' } }] }] })),
    ).toEqual(['spec.rules[0].matches[0].path.type']);
    expect(causes('httproutes', route({ rules: [{ filters: [{ type: 'RequestMirror' }] }] }))).toEqual([
      'spec.rules[0].filters[0].type',
    ]);
    expect(causes('httproutes', route({ rules: [{ sessionPersistence: {} }] }))).toEqual([
      'spec.rules[0].sessionPersistence',
    ]);
    expect(causes('httproutes', route({ rules: [{ timeouts: { request: 'soon' } }] }))).toEqual([
      'spec.rules[0].timeouts.request',
    ]);
    const gateway = (listener: unknown): unknown => ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'web', namespace: 'default' },
      spec: { gatewayClassName: 'edgeplane', listeners: [listener] },
    });
    expect(causes('gateways', gateway({ name: 'http', port: 8080, protocol: 'HTTP' }))).toEqual([]);
    expect(causes('gateways', gateway({ name: 'https', port: 8443, protocol: 'HTTPS' }))).toEqual([
      'spec.listeners[0].protocol',
    ]);
    expect(causes('gateways', gateway({ name: 'http', port: 8080, protocol: 'HTTP', tls: {} }))).toEqual([
      'spec.listeners[0].tls',
    ]);
  });

  it('read Gateway API durations', () => {
    expect(gatewayDurationMs('10s')).toBe(10_000);
    expect(gatewayDurationMs('500ms')).toBe(500);
    expect(gatewayDurationMs('1h2m3s4ms')).toBe(3_723_004);
  });
});

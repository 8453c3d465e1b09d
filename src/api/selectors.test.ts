import { describe, expect, it } from 'vitest';
import { BadRequestError } from './errors.js';
import {
  MAX_SELECTOR_LENGTH,
  MAX_SELECTOR_REQUIREMENTS,
  formatSelector,
  matchesLabels,
  matchesFields,
  parseFieldSelector,
  parseLabelSelector,
} from './selectors.js';

describe('label selectors', () => {
  it('parses every Kubernetes form', () => {
    expect(parseLabelSelector('a=b, c==d,e!=f, g in (x, y),h notin (z),i,!j')).toEqual([
      { key: 'a', op: 'In', values: ['b'] },
      { key: 'c', op: 'In', values: ['d'] },
      { key: 'e', op: 'NotIn', values: ['f'] },
      { key: 'g', op: 'In', values: ['x', 'y'] },
      { key: 'h', op: 'NotIn', values: ['z'] },
      { key: 'i', op: 'Exists', values: [] },
      { key: 'j', op: 'DoesNotExist', values: [] },
    ]);
    expect(parseLabelSelector('')).toEqual([]);
    expect(parseLabelSelector(undefined)).toEqual([]);
    expect(parseLabelSelector('a=')).toEqual([{ key: 'a', op: 'In', values: [''] }]);
    expect(parseLabelSelector('app.kubernetes.io/name in ()')).toEqual([
      { key: 'app.kubernetes.io/name', op: 'In', values: [] },
    ]);
    const sel = parseLabelSelector('tier in (web,api),!canary');
    expect(matchesLabels(sel, { tier: 'api' })).toBe(true);
    expect(matchesLabels(sel, { tier: 'api', canary: 'yes' })).toBe(false);
    expect(parseLabelSelector(formatSelector(sel))).toEqual(sel);
  });

  it('refuses malformed selectors with a BadRequestError naming labelSelector', () => {
    for (const bad of [
      'ain (x)',
      '!a in (x)',
      'a in x',
      'a in (x',
      'a=b c',
      '=b',
      'a,,=',
      '(',
      'a in (x,(y))',
      '!',
      'a b',
    ]) {
      let err: unknown;
      try {
        parseLabelSelector(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).causes[0]?.field).toBe('labelSelector');
    }
  });

  it('bounds length, requirements and values', () => {
    expect(() => parseLabelSelector('a'.repeat(MAX_SELECTOR_LENGTH + 1))).toThrow(/at most 8192/);
    expect(() =>
      parseLabelSelector(Array.from({ length: MAX_SELECTOR_REQUIREMENTS + 1 }, (_, i) => `k${i}`).join(',')),
    ).toThrow(/at most 100 requirements/);
    expect(() => parseLabelSelector(`a in (${Array.from({ length: 101 }, (_, i) => `v${i}`).join(',')})`)).toThrow(
      /at most 100 values/,
    );
    expect(
      parseLabelSelector(Array.from({ length: MAX_SELECTOR_REQUIREMENTS }, (_, i) => `k${i}`).join(',')),
    ).toHaveLength(100);
  });

  it('parses or refuses hostile maximum-size selectors in linear time', () => {
    // Inputs that made the old regexes backtrack: long keys followed by what cannot match, long runs of spaces.
    const hostile = [
      'a'.repeat(MAX_SELECTOR_LENGTH - 2) + ' (',
      `a=${' '.repeat(MAX_SELECTOR_LENGTH - 4)}b`,
      `x in (${'a '.repeat((MAX_SELECTOR_LENGTH - 8) / 2)})`,
      '!'.repeat(MAX_SELECTOR_LENGTH),
      '('.repeat(MAX_SELECTOR_LENGTH),
      'a in'.repeat(MAX_SELECTOR_LENGTH / 4),
      `${'a'.repeat(MAX_SELECTOR_LENGTH / 2)}notin`.slice(0, MAX_SELECTOR_LENGTH),
    ];
    const started = performance.now();
    for (const text of hostile) {
      expect(text.length).toBeLessThanOrEqual(MAX_SELECTOR_LENGTH);
      try {
        parseLabelSelector(text);
      } catch (e) {
        expect(e).toBeInstanceOf(BadRequestError);
      }
    }
    // A generous functional bound (a backtracking parser takes seconds here), not a timing goal.
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('field selectors', () => {
  it('parses =, == and !=', () => {
    expect(parseFieldSelector('spec.nodeName=pi-1, metadata.name != x,status.phase==Running')).toEqual([
      { field: 'spec.nodeName', op: '=', value: 'pi-1' },
      { field: 'metadata.name', op: '!=', value: 'x' },
      { field: 'status.phase', op: '=', value: 'Running' },
    ]);
    expect(parseFieldSelector('spec.nodeName=')).toEqual([{ field: 'spec.nodeName', op: '=', value: '' }]);
  });

  it('refuses unsupported fields, bad terms and oversize selectors, naming fieldSelector', () => {
    for (const bad of [
      'spec.bogus=1',
      'novalue',
      '=x',
      'x'.repeat(MAX_SELECTOR_LENGTH + 1),
      Array.from({ length: 101 }, () => 'metadata.name=a').join(','),
    ]) {
      let err: unknown;
      try {
        parseFieldSelector(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad.slice(0, 20)).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).causes[0]?.field).toBe('fieldSelector');
      expect((err as BadRequestError).message.length).toBeLessThan(400);
    }
  });

  it('handles a maximum-size value of spaces (quadratic under the old regex) at once', () => {
    const text = `metadata.name=${' '.repeat(MAX_SELECTOR_LENGTH - 20)}x`;
    const started = performance.now();
    expect(parseFieldSelector(text)).toEqual([{ field: 'metadata.name', op: '=', value: 'x' }]);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('field selectors per kind, as Kubernetes restricts them', () => {
  const refusal = (text: string, kind?: string): string | undefined => {
    try {
      parseFieldSelector(text, kind);
      return undefined;
    } catch (err) {
      return (err as BadRequestError).message;
    }
  };

  it('takes each kind own fields and refuses the rest in Kubernetes wording', () => {
    expect(refusal('spec.nodeName=a,status.phase=Running,spec.restartPolicy=Never', 'Pod')).toBeUndefined();
    expect(refusal('type=Warning,reason=Failed,source=kubelet', 'Event')).toBeUndefined();
    expect(refusal('type=Opaque', 'Secret')).toBeUndefined();
    expect(refusal('spec.type=NodePort,spec.clusterIP=None', 'Service')).toBeUndefined();
    expect(refusal('spec.unschedulable=true', 'Node')).toBeUndefined();
    expect(refusal('status.replicas=0', 'ReplicaSet')).toBeUndefined();
    expect(refusal('status.successful=1', 'Job')).toBeUndefined();
    expect(refusal('type=Warning', 'Pod')).toBe('field label not supported: type');
    expect(refusal('metadata.namespace=x', 'Node')).toBe('field label not supported: metadata.namespace');
    expect(refusal('spec.nodeName=a', 'Service')).toBe('field label not supported: spec.nodeName');
    expect(refusal('metadata.name=a,metadata.namespace=b', 'ConfigMap')).toBeUndefined();
    expect(refusal('data.color=red', 'ConfigMap')).toBe(
      '"data.color" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
    expect(refusal('spec.replicas=1', 'Deployment')).toBe(
      '"spec.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
  });

  it('reads unset booleans and counts as Kubernetes prints them, Event source and spec.host', () => {
    const pod = {
      metadata: { name: 'p' },
      spec: { nodeName: 'pi-1' },
      status: { podIPs: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }] },
    };
    expect(matchesFields(parseFieldSelector('spec.hostNetwork=false', 'Pod'), pod)).toBe(true);
    expect(matchesFields(parseFieldSelector('spec.host=pi-1', 'Pod'), pod)).toBe(true);
    expect(parseFieldSelector('spec.host=pi-1', 'Pod')).toEqual([{ field: 'spec.nodeName', op: '=', value: 'pi-1' }]);
    expect(matchesFields(parseFieldSelector('status.podIPs=fd00::1', 'Pod'), pod)).toBe(true);
    expect(matchesFields(parseFieldSelector('status.podIPs!=fd00::1', 'Pod'), pod)).toBe(false);
    expect(matchesFields(parseFieldSelector('spec.unschedulable=false', 'Node'), { spec: {} })).toBe(true);
    expect(matchesFields(parseFieldSelector('status.replicas=0', 'ReplicaSet'), { status: {} })).toBe(true);
    expect(matchesFields(parseFieldSelector('status.successful=2', 'Job'), { status: { succeeded: 2 } })).toBe(true);
    expect(matchesFields(parseFieldSelector('source=hub', 'Event'), { source: { component: 'hub' } })).toBe(true);
  });
});

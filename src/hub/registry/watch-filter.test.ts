import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/index.js';
import type { StoreEvent } from '../store/index.js';
import { eventObject, toWatchEvent } from './watch-filter.js';

const pod = (labels: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', labels },
});

const put = (value: unknown, prevValue?: unknown): StoreEvent => ({
  type: 'put',
  key: '/registry/pods/default/p',
  value,
  ...(prevValue === undefined ? {} : { prevValue }),
  revision: 7,
  created: prevValue === undefined,
});

describe('eventObject', () => {
  it("stamps the event's own value with the revision and hands the same object to every caller", () => {
    const value = pod({ app: 'a' });
    const e = put(value);
    const first = eventObject(e);
    expect(first).toBe(value);
    expect(first.metadata.resourceVersion).toBe('7');
    expect(eventObject(e)).toBe(first);
  });

  it('copies a frozen value once, and every later caller gets that copy', () => {
    const value = pod({ app: 'a' });
    Object.freeze(value.metadata);
    Object.freeze(value);
    const e = put(value);
    const first = eventObject(e);
    expect(first).not.toBe(value);
    expect(first.metadata.resourceVersion).toBe('7');
    expect(value.metadata.resourceVersion).toBeUndefined();
    expect(eventObject(e)).toBe(first);
  });

  it('takes a frozen value that already carries the revision as it is', () => {
    const value = pod({ app: 'a' });
    value.metadata.resourceVersion = '7';
    Object.freeze(value.metadata);
    Object.freeze(value);
    expect(eventObject(put(value))).toBe(value);
  });
});

describe('toWatchEvent', () => {
  const wantsB = (o: KubeObject): boolean => o.metadata.labels?.app === 'b';

  it('sends an object that starts matching as ADDED, one that stops as DELETED, one that stays as MODIFIED', () => {
    expect(toWatchEvent(put(pod({ app: 'b' }), pod({ app: 'a' })), wantsB)?.type).toBe('ADDED');
    expect(toWatchEvent(put(pod({ app: 'a' }), pod({ app: 'b' })), wantsB)?.type).toBe('DELETED');
    expect(toWatchEvent(put(pod({ app: 'b' }), pod({ app: 'b' })), wantsB)?.type).toBe('MODIFIED');
    expect(toWatchEvent(put(pod({ app: 'a' }), pod({ app: 'a' })), wantsB)).toBeUndefined();
    expect(toWatchEvent(put(pod({ app: 'b' })), wantsB)?.type).toBe('ADDED');
  });

  it('sends a deletion only to the watchers its last value matched, with the revision of the deletion', () => {
    const del: StoreEvent = { ...put(pod({ app: 'b' })), type: 'delete', created: false };
    const ev = toWatchEvent(del, wantsB);
    expect(ev?.type).toBe('DELETED');
    expect(ev?.object.metadata.resourceVersion).toBe('7');
    expect(toWatchEvent({ ...put(pod({ app: 'a' })), type: 'delete', created: false }, wantsB)).toBeUndefined();
  });
});

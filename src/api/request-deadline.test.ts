/**
 * A pod's own request deadline: the annotation's parsing and bounds, the deadline a request gets from
 * the caller's budget, the pod's and the node's.
 */
import { describe, expect, it } from 'vitest';
import {
  REQUEST_TIMEOUT_ANNOTATION,
  parseRequestTimeout,
  podRequestTimeoutMs,
  requestDeadlineMs,
  requestTimeoutCauses,
} from './request-deadline.js';

describe('the edgeplane.io/request-timeout annotation', () => {
  it('reads durations in ms, s, m, and bare seconds', () => {
    expect(parseRequestTimeout('500ms')).toEqual({ ms: 500 });
    expect(parseRequestTimeout('2s')).toEqual({ ms: 2000 });
    expect(parseRequestTimeout('1.5')).toEqual({ ms: 1500 });
    expect(parseRequestTimeout('1m')).toEqual({ ms: 60_000 });
    expect(podRequestTimeoutMs({ [REQUEST_TIMEOUT_ANNOTATION]: '30s', other: 'x' })).toBe(30_000);
    expect(podRequestTimeoutMs({ other: 'x' })).toBeUndefined();
    expect(podRequestTimeoutMs(undefined)).toBeUndefined();
  });

  it('refuses what is not a deadline, naming the field and why', () => {
    expect(parseRequestTimeout('soon')).toEqual({ error: 'must be a duration such as 500ms, 2s or 1m' });
    expect(parseRequestTimeout('50ms')).toEqual({ error: 'must be between 100ms and 60m' });
    expect(parseRequestTimeout('2h')).toEqual({ error: 'must be between 100ms and 60m' });
    expect(podRequestTimeoutMs({ [REQUEST_TIMEOUT_ANNOTATION]: '-1s' })).toBeUndefined();
    expect(requestTimeoutCauses({ [REQUEST_TIMEOUT_ANNOTATION]: 'soon' })).toEqual([
      {
        field: 'metadata.annotations[edgeplane.io/request-timeout]',
        message: 'Invalid value: "soon": must be a duration such as 500ms, 2s or 1m',
        reason: 'FieldValueInvalid',
      },
    ]);
    expect(requestTimeoutCauses({ [REQUEST_TIMEOUT_ANNOTATION]: '250ms' })).toEqual([]);
    expect(requestTimeoutCauses(undefined)).toEqual([]);
  });
});

describe('the deadline of one request', () => {
  it("is the pod's own, else the node's, bounded by a caller with less time left", () => {
    expect(requestDeadlineMs(undefined, undefined, 15_000)).toBe(15_000);
    expect(requestDeadlineMs(undefined, 1_500, 15_000)).toBe(1_500);
    // A pod may have longer than the node-wide deadline: a slow pod beside a looping one.
    expect(requestDeadlineMs(undefined, 60_000, 15_000)).toBe(60_000);
    expect(requestDeadlineMs(400, 60_000, 15_000)).toBe(400);
    expect(requestDeadlineMs(20_000, undefined, 15_000)).toBe(15_000);
    expect(requestDeadlineMs(20_000, 1_500, 15_000)).toBe(1_500);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConflictError, GoneError, NotFoundError, StatusReason } from './errors.js';
import { DeleteOptions, ObjectList, Scale, ScaleUpdate, WatchFrame } from './rest.js';
import { Status, fromStatus, toStatus } from './status.js';

describe('REST shapes', () => {
  it('toStatus writes a valid Status, and fromStatus reads it back to the same error', () => {
    for (const err of [new NotFoundError('pods', 'a'), new ConflictError('stale'), new GoneError('too old')]) {
      const status = toStatus(err);
      expect(Status.safeParse(status).success).toBe(true);
      const back = fromStatus(JSON.parse(JSON.stringify(status)), status.code);
      expect({ code: back.code, httpStatus: back.httpStatus, message: back.message }).toEqual({
        code: err.code,
        httpStatus: err.httpStatus,
        message: err.message,
      });
    }
  });

  it('fromStatus reads what it can of a foreign or partial body, whatever it is', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 400, max: 599 }), (body, code) => {
        const err = fromStatus(body, code);
        expect(Object.values(StatusReason)).toContain(err.code);
        expect(typeof err.message).toBe('string');
      }),
    );
    expect(fromStatus({ reason: 42, message: ['x'], code: 'no' }, 503)).toMatchObject({
      code: 'InternalError',
      httpStatus: 503,
      message: 'HTTP 503',
    });
  });

  it('reads lists and watch frames leniently, keeping fields it does not know', () => {
    const list = ObjectList.parse({
      apiVersion: 'v1',
      kind: 'PodList',
      metadata: { resourceVersion: '7', remainingItemCount: 0 },
      items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' }, spec: { x: 1 } }],
    });
    expect(list.items[0]).toMatchObject({ spec: { x: 1 } });
    expect(list.metadata).toMatchObject({ remainingItemCount: 0 });
    expect(ObjectList.safeParse({ apiVersion: 'v1', kind: 'PodList', metadata: {}, items: [{}] }).success).toBe(false);
    const ev = WatchFrame.parse({ type: 'ADDED', object: { apiVersion: 'v1', kind: 'Pod', metadata: {} } });
    expect(ev.type).toBe('ADDED');
    expect(WatchFrame.parse({ type: 'ERROR', object: toStatus(new GoneError('x')) }).type).toBe('ERROR');
    expect(WatchFrame.safeParse({ type: 'ADDED', object: 'nope' }).success).toBe(false);
  });

  it('reads what the hub receives strictly, naming the unknown field', () => {
    expect(DeleteOptions.safeParse({ propagationPolicy: 'Orphan', gracePeriodSeconds: 0 }).success).toBe(true);
    expect(DeleteOptions.safeParse({ propagationPolicy: 'Sideways' }).success).toBe(false);
    expect(DeleteOptions.safeParse({ gracePeriodSecond: 1 }).success).toBe(false);
    expect(ScaleUpdate.safeParse({ spec: { replicas: 3 } }).success).toBe(true);
    expect(ScaleUpdate.safeParse({ spec: { replicas: -1 } }).success).toBe(false);
    expect(ScaleUpdate.safeParse({ spec: { replicas: 1, extra: true } }).success).toBe(false);
    expect(
      Scale.safeParse({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: {}, spec: { replicas: 2 } }).success,
    ).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { NotFoundError, StatusReason } from './errors.js';
import { toStatus } from './status.js';
import { fromStatus } from './status-read.js';

describe('fromStatus (zod-free)', () => {
  it('round-trips a Status the hub writes', () => {
    const err = fromStatus(JSON.parse(JSON.stringify(toStatus(new NotFoundError('pods', 'web')))), 404);
    expect(err.code).toBe(StatusReason.NotFound);
    expect(err.httpStatus).toBe(404);
    expect(err.message).toBe('pods "web" not found');
  });

  it('keeps causes and details; drops fields of the wrong type', () => {
    const err = fromStatus(
      {
        reason: 'Invalid',
        code: 422,
        message: 'bad',
        details: {
          name: 'web',
          kind: 'Pod',
          causes: [{ field: 'spec.x', message: 'no', reason: 'FieldValueInvalid' }],
        },
      },
      422,
    );
    expect(err.code).toBe('Invalid');
    expect(err.causes).toEqual([{ field: 'spec.x', message: 'no', reason: 'FieldValueInvalid' }]);
    expect(err.details).toEqual({ name: 'web', kind: 'Pod' });
    const partial = fromStatus({ reason: 'Nonsense', code: 'x', message: 7, details: { causes: [{ field: 1 }] } }, 502);
    expect(partial.code).toBe(StatusReason.InternalError);
    expect(partial.httpStatus).toBe(502);
    expect(partial.message).toBe('HTTP 502');
    expect(partial.causes).toEqual([]);
    expect(partial.details).toBeUndefined();
    expect(fromStatus('<html>', 503).message).toBe('HTTP 503');
  });
});

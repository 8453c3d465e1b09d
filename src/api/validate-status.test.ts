import { describe, expect, it } from 'vitest';
import { InvalidError } from './errors.js';
import { RESOURCE_TYPES, apiVersionOf } from './registry.js';
import { validateStatusInput } from './validate.js';

describe('validateStatusInput', () => {
  it('answers every kind without a spec with a parse or a field error, never a crash', () => {
    for (const t of RESOURCE_TYPES) {
      const input = { apiVersion: apiVersionOf(t), kind: t.kind, metadata: { name: 'x' }, bogus: 1 };
      // Strict for every kind: the unknown field is named, whether or not the kind has a spec.
      expect(() => validateStatusInput(t, input), t.kind).toThrow(InvalidError);
      expect(() => validateStatusInput(t, input), t.kind).toThrow('bogus');
    }
  });
});

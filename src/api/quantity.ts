/** Schemas of Kubernetes resource quantities; the parsing and formatting live in quantity-format.ts. */
import { z } from 'zod';
import { quantityProblem, type QuantityKind } from './quantity-format.js';

export * from './quantity-format.js';

/** A quantity schema (string or number) checked against the bound of `kind`; the issue names why. */
function quantitySchema(kind: QuantityKind) {
  return z
    .custom<string | number>((v) => typeof v === 'string' || typeof v === 'number', {
      message: 'must be a quantity such as 500m, 2, 128Mi or 1G',
    })
    .superRefine((v, ctx) => {
      const problem = quantityProblem(v, kind);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    });
}

/** A Kubernetes quantity such as `500m` or `128Mi` (also accepted as a plain number): counts and capacities. */
export const Quantity = quantitySchema('count');
/** A CPU quantity (`500m`, `2`), at most `MAX_CPU_CORES`. */
export const CpuQuantity = quantitySchema('cpu');
/** A memory quantity (`128Mi`, `1G`), at most `MAX_MEMORY_BYTES`. */
export const MemoryQuantity = quantitySchema('memory');

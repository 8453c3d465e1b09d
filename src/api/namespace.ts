/** v1 Namespace. */
import { z } from 'zod';
import { objectShape } from './meta.js';

export const Namespace = z.strictObject({
  ...objectShape('v1', 'Namespace'),
  spec: z.strictObject({ finalizers: z.array(z.string()).optional() }).optional(),
  status: z.strictObject({ phase: z.enum(['Active', 'Terminating']).optional() }).optional(),
});
export type Namespace = z.infer<typeof Namespace>;

/**
 * `meta.k8s.io/v1 Table` (and v1beta1, the same shape): what the hub answers when a client asks for
 * `application/json;as=Table;g=meta.k8s.io;v=v1`. kubectl prints it as it comes: a column per
 * definition (upper-cased), `priority > 0` columns only with `-o wide`, the `format: name` column
 * prefixed with the kind when several kinds are printed.
 */
import { z } from 'zod';
import { ListMeta } from '../rest.js';

/** The Table API versions served, preferred first. */
export const TABLE_VERSIONS = ['v1', 'v1beta1'] as const;
export const TableVersion = z.enum(TABLE_VERSIONS);
export type TableVersion = z.infer<typeof TableVersion>;

/** What each row carries besides its cells (`?includeObject=`), as Kubernetes' `IncludeObjectPolicy`. */
export const IncludeObject = z.enum(['None', 'Object', 'PartialObjectMetadata']);
export type IncludeObject = z.infer<typeof IncludeObject>;

export const TableColumnDefinition = z.strictObject({
  name: z.string(),
  type: z.enum(['string', 'integer', 'number', 'boolean', 'date']),
  format: z.string(),
  description: z.string(),
  priority: z.number().int().nonnegative(),
});
export type TableColumnDefinition = z.infer<typeof TableColumnDefinition>;

export const TableRow = z.strictObject({
  cells: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])),
  object: z.looseObject({}).optional(),
});
export type TableRow = z.infer<typeof TableRow>;

export const Table = z.strictObject({
  apiVersion: z.enum(['meta.k8s.io/v1', 'meta.k8s.io/v1beta1']),
  kind: z.literal('Table'),
  metadata: ListMeta,
  columnDefinitions: z.array(TableColumnDefinition),
  rows: z.array(TableRow),
});
export type Table = z.infer<typeof Table>;

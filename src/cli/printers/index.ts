/** Public surface of edgectl's printers: tables, ages, pod status, describe, json/yaml, errors. */
export { age, humanDuration } from './age.js';
export { columnWidths, formatRow, renderTable } from './table.js';
export {
  columnsFor,
  formatEndpoints,
  mapSelector,
  nodeStatus,
  servicePorts,
  eventTime,
  type KindColumns,
} from './columns.js';
export { podReady, podRestarts, podStatus } from './pod-status.js';
export {
  OUTPUT_FORMATS,
  kindNoun,
  listOrObject,
  withoutManagedFields,
  objectRef,
  sortForTable,
  tableHeader,
  tableRow,
  toJson,
  toYaml,
  type OutputFormat,
  type TableOptions,
} from './objects.js';
export { formatError, formatServerError } from './errors.js';
export { DescribeWriter, describeTime } from './describe-writer.js';
export { describeObject, type DescribeExtras } from './describe-kinds.js';

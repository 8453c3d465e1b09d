/** Public surface of edgectl's printers: tables, ages, pod status, describe, json/yaml, errors. */
export { columnWidths, formatRow, renderTable } from './table.js';
// The column definitions live in src/api/tables (the hub builds kubectl's Tables from them too).
export {
  age,
  humanDuration,
  columnsFor,
  formatEndpoints,
  mapSelector,
  nodeStatus,
  servicePorts,
  eventTime,
  podReady,
  podRestarts,
  podStatus,
  type KindColumns,
} from '../../api/lite.js';
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
export { ALLOWED_OUTPUT_FORMATS, templatePrinter, type TemplatePrinter } from './template-output.js';
export { sortByField } from './sort-by.js';
export { JsonPathTemplate, relaxedTemplate } from './jsonpath/index.js';

/**
 * How each kind is shown as a table — columns, cells, pod status, ages — shared by `edgectl get`
 * (which prints it) and the hub (which answers `meta.k8s.io Table` requests from kubectl with it).
 */
export { age, humanDuration } from './age.js';
export {
  columnsFor,
  eventTime,
  formatEndpoints,
  mapSelector,
  nodeStatus,
  servicePorts,
  type KindColumns,
} from './columns.js';
export { componentHealth } from './component-status-columns.js';
export { gatewayProgrammed } from './gateway-columns.js';
export { metricTarget, scaledToZero, hpaTargets } from './hpa-columns.js';
export { podReady, podRestarts, podStatus } from './pod-status.js';
export { tableColumns, tableRowOf, toTable, type TableOptions as ServerTableOptions } from './server-table.js';
export { IncludeObject, TABLE_VERSIONS, Table, TableColumnDefinition, TableRow, TableVersion } from './table-schema.js';

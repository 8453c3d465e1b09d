/** Field managers: `metadata.managedFields` for updates and server-side apply. */
export {
  ApplyConflictError,
  applyConfiguration,
  recordUpdate,
  type ApplyResult,
  type ManagerWrite,
} from './managers.js';
export { fieldsOf, toFieldsV1, fromFieldsV1, describePath } from './field-set.js';

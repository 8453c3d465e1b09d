/** The object registry: Kubernetes object semantics over the store. */
export type {
  Caller,
  WriteOptions,
  DeleteOptions,
  ListOptions,
  ObjectAPI,
  ObjectList,
  WatchEvent,
  WatchOptions,
} from './types.js';
export { ObjectRegistry, type ObjectRegistryDeps } from './object-registry.js';
export { objectKey, collectionPrefix } from './keys.js';
export { resourceName } from './store-errors.js';
export { NODE_PORT_RANGE } from './checks.js';
export { ApplyConflictError, applyConfiguration, type ApplyResult } from './managed-fields/index.js';
export { toScale, parseScale, updateScale } from './scale.js';
export { bindPod, parseBinding } from './binding.js';

/** Shared informers: cached, watched views of the store for controllers and the gateway. */
export { Informer, objectKey, splitKey, type InformerHandler } from './informer.js';
export { InformerFactory } from './factory.js';
export { BY_CONTROLLER_UID, BY_NODE_NAME, controllerUid, nodeNameOf, type IndexFunc } from './indexer.js';

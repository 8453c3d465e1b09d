/**
 * The node's ConfigMaps and Secrets (issue 15): the encrypted local store, env and `wasi:config`
 * resolution, the volume materialiser and pull secrets, behind {@link NodeConfig}.
 */
export { NodeConfig, type ContainerConfigParts, type NodeConfigDeps } from './node-config.js';
export { ConfigStore, type ConfigKind, type ConfigLookup } from './config-store.js';
export { defaultRunDir } from './run-dir.js';

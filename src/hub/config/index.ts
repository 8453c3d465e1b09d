/** Which ConfigMaps and Secrets pods reference (shared by node delivery, node restriction and the config rollout). */
export { configKey, podConfigKeys, podConfigRefs, type ConfigKind, type ConfigRef } from './config-refs.js';

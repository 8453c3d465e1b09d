/** Public surface of edgectl's configuration: the config file and the precedence of settings. */
export { EdgeConfig, loadConfig, saveConfig } from './file.js';
export { configFileExists, configPath, emptyConfig } from './path.js';
export { readTokenFile, requireServer, resolveConnection, type Connection, type ConnectionFlags } from './resolve.js';

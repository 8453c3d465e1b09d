/** The hub's public surface for embedding (tests, the demo, benchmarks). */
export { Hub, type HubOptions } from './hub.js';
export { HUB_VERSION } from './version.js';

/** Streaming subresources over kubectl's WebSocket channel protocol. */
export { PodStreamUpgrades, type StreamUpgradeDeps } from './stream-upgrades.js';
export {
  streamSlot,
  type StreamPlan,
  type ExecStreamPlan,
  type PortForwardStreamPlan,
  type StreamSlot,
  type StreamUpgradeEnv,
} from './stream-env.js';
export { chooseProtocol, CHANNEL_PROTOCOLS } from './channel-protocol.js';
export type {
  PodStream,
  PodStreamEnd,
  PodStreamHandlers,
  PodStreamOptions,
  PodStreamSource,
} from './pod-stream-source.js';

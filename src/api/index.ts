/**
 * Public surface of `src/api`: resource schemas, selectors, the gateway protocol, the Runtime
 * interface and the shared error classes. Imports nothing from the other areas.
 */
export * from './errors.js';
export * from './quantity.js';
export * from './meta.js';
export * from './pod.js';
export * from './config.js';
export * from './node.js';
export * from './namespace.js';
export * from './event.js';
export * from './workloads.js';
export * from './autoscaling.js';
export * from './service.js';
export * from './gateway.js';
export * from './gateway-class.js';
export * from './canary.js';
export * from './rbac.js';
export * from './token.js';
export * from './registry.js';
export * from './validate.js';
export * from './selectors.js';
export * from './wire.js';
export * from './wire-services.js';
export * from './wire-routes.js';
export * from './wire-config.js';
export * from './wire-metrics.js';
export * from './metrics.js';
export * from './component-status.js';
export * from './wire-trust.js';
export * from './wire-images.js';
export * from './wire-pod-resume.js';
export * from './wire-hubs.js';
export * from './wire-relay.js';
export * from './wire-stream.js';
export * from './codec.js';
export * from './content.js';
export * from './blob-sources.js';
export * from './node-certificate.js';
export * from './clock.js';
export * from './duration.js';
export type * from './logger.js';
export type * from './runtime.js';
export { toStatus, fromStatus, Status } from './status.js';
export * from './rest.js';
export * from './patch-meta.js';
export * from './tables/index.js';
export * from './spdy/index.js';

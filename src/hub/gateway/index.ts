/** The node gateway: WebSocket sessions with edge nodes. */
export { NodeGateway, type NodeGatewayDeps, type GatewayAuth, type PodLogOptions } from './gateway.js';
export { buildServiceRoutes } from './routes.js';

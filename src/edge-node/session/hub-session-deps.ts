/** What the hub session is built from and what it reports: its deps, redial tuning, lifecycle events, the gateway URL. */
import { GATEWAY_PATH } from '../../api/index.js';
import type { HubToNode, Logger, NodeInfo } from '../../api/index.js';
import type { HubEndpoints } from './hub-endpoints.js';
import type { PodPosition } from './pod-position.js';

/** The hub's `welcome` message. */
export type Welcome = Extract<HubToNode, { type: 'welcome' }>;

/** Lifecycle events of the session (the CLI exits on an early `unauthorized`). */
export type SessionEvent =
  | { type: 'connected'; welcome: Welcome; /** The hub that welcomed the node (as given). */ hub: string }
  | { type: 'disconnected'; reason: string }
  | { type: 'unauthorized'; status: number; message: string }
  /** A dial ended without the hub welcoming or refusing this node (no hub there, or it hung up). */
  | { type: 'unreachable'; reason: string }
  /**
   * The hub turned this node away for good (another agent holds the name, or the node was deleted and
   * its credential revoked); the session stopped redialing.
   */
  | { type: 'refused'; reason: 'DuplicateNode' | 'NodeRevoked'; message: string };

/** WebSocket close code the hub uses when it refuses a duplicate node name. */
export const CLOSE_DUPLICATE_NODE = 4409;

/** WebSocket close code the hub uses when the node was deleted (its credential revoked). */
export const CLOSE_NODE_REVOKED = 4410;

/**
 * Redial tuning (defaults: 0.5 s doubling to 15 s with ±50% jitter, reset after 10 s connected, 30 s
 * after a refused token; the first redial after losing the hub spread over up to 2 s; the hub declared
 * gone after 3 heartbeat intervals without a pong or a frame).
 */
export interface SessionBackoff {
  initialMs: number;
  maxMs: number;
  stableMs: number;
  unauthorizedMs: number;
  /** The first redial after a welcomed connection drops waits a random time up to this (capped by `maxMs`). */
  spreadMs: number;
  /** Heartbeat intervals without a pong or any frame tolerated before the connection is redialed. */
  missedPongs: number;
}

/** Dependencies of the hub session. */
export interface HubSessionDeps {
  /** The hub's URL, or several hubs of one cluster (tried in turn when one fails). */
  hubUrl: string | readonly string[] | HubEndpoints;
  /** Bearer token (a plain-HTTP hub); absent when the node authenticates with its certificate. */
  token?: string;
  /** CA bundle (PEM) the hub's certificate must chain to (`wss://`); nothing else is trusted. */
  ca?: string;
  /** TLS material of each dial (hub CA, the node's current certificate and key), read at every dial. */
  tls?: () => { ca?: string; cert?: string; key?: string };
  logger: Logger;
  /** Node facts for `hello`, computed at each connect. */
  nodeInfo(): NodeInfo;
  /** Handles one validated hub message (welcome included); called serially, in arrival order. */
  onMessage(msg: HubToNode): Promise<void> | void;
  onEvent?(ev: SessionEvent): void;
  backoff?: Partial<SessionBackoff>;
  /** The pod-set position (the agent's, restored from its data dir); a new, empty one when absent. */
  podPosition?: PodPosition;
}

export const DEFAULT_BACKOFF: SessionBackoff = {
  initialMs: 500,
  maxMs: 15_000,
  stableMs: 10_000,
  unauthorizedMs: 30_000,
  spreadMs: 2000,
  missedPongs: 3,
};

/** Builds the gateway URL from the hub's base URL (`http(s)://` or `ws(s)://`, optional path prefix). */
export function gatewayUrl(hubUrl: string): string {
  const u = new URL(hubUrl);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  else if (u.protocol !== 'ws:' && u.protocol !== 'wss:')
    throw new Error(`hub URL must be http(s):// or ws(s)://, got "${hubUrl}"`);
  u.pathname = u.pathname.replace(/\/+$/, '') + GATEWAY_PATH;
  return u.toString();
}

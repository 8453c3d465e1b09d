/**
 * `GET|POST …/pods/{name}/portforward` (authorised as `create pods/portforward` whatever the method):
 * validated here like any request, then upgraded by `stream-upgrades.ts`. kubectl ≥ 1.31 first asks
 * for a WebSocket offering `SPDY/3.1+portforward.k8s.io` (SPDY tunnelled in binary messages); when
 * that is refused it falls back to `POST` with `Upgrade: SPDY/3.1` and `X-Stream-Protocol-Version:
 * portforward.k8s.io`. Both are served.
 */
import type { Context } from 'hono';
import { BadRequestError, typeByKind, type Pod } from '../../../api/index.js';
import type { ObjectAPI } from '../../registry/index.js';
import { streamSlot, type PortForwardStreamPlan } from './stream-env.js';

const POD = typeByKind('v1', 'Pod')!;

/** The port-forward protocol (`X-Stream-Protocol-Version`) served. */
export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** The WebSocket sub-protocol that tunnels it (`SPDY/3.1+` + the protocol). */
export const PORT_FORWARD_WEBSOCKET_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

/** The request headers that choose the upgrade. */
export interface PortForwardHeaders {
  upgrade: string | undefined;
  /** `Sec-WebSocket-Protocol`. */
  websocketProtocols: string | undefined;
  /** `X-Stream-Protocol-Version` (possibly several, comma-joined). */
  streamProtocols: string | undefined;
}

/** The route: fills the request's stream slot with the plan (204), or throws why it cannot be served. */
export async function portForwardRoute(c: Context, api: ObjectAPI, namespace: string, name: string): Promise<Response> {
  const slot = streamSlot(c);
  if (!slot)
    throw new BadRequestError(
      `port-forward is served only as an upgrade: SPDY/3.1, or a WebSocket with ${PORT_FORWARD_WEBSOCKET_PROTOCOL} (kubectl port-forward)`,
    );
  slot.plan = await portForwardPlan(api, namespace, name, {
    upgrade: c.req.header('upgrade'),
    websocketProtocols: c.req.header('sec-websocket-protocol'),
    streamProtocols: c.req.header('x-stream-protocol-version'),
  });
  return c.body(null, 204);
}

/** Validates a port-forward upgrade and says how to serve it once upgraded. */
export async function portForwardPlan(
  api: ObjectAPI,
  namespace: string,
  name: string,
  headers: PortForwardHeaders,
): Promise<PortForwardStreamPlan> {
  const pod = await api.get<Pod>(POD, namespace, name);
  const base = { kind: 'portforward' as const, namespace, name, uid: pod.metadata.uid ?? '' };
  const upgrade = (headers.upgrade ?? '').toLowerCase();
  if (upgrade === 'websocket') {
    if (!listed(headers.websocketProtocols, PORT_FORWARD_WEBSOCKET_PROTOCOL))
      throw new BadRequestError(
        `unable to upgrade: no tunneling spdy protocols provided (this hub speaks ${PORT_FORWARD_WEBSOCKET_PROTOCOL})`,
      );
    return { ...base, upgrade: 'websocket' };
  }
  if (upgrade === 'spdy/3.1') {
    if (!listed(headers.streamProtocols, PORT_FORWARD_PROTOCOL))
      throw new BadRequestError(
        `unable to upgrade: unable to negotiate protocol: client supports "${headers.streamProtocols ?? ''}", server accepts ${PORT_FORWARD_PROTOCOL}`,
      );
    return { ...base, upgrade: 'spdy' };
  }
  throw new BadRequestError(
    `port-forward is served only as an upgrade: SPDY/3.1, or a WebSocket with ${PORT_FORWARD_WEBSOCKET_PROTOCOL} (kubectl port-forward)`,
  );
}

/** Whether a comma-separated header value lists `want`. */
function listed(value: string | undefined, want: string): boolean {
  return (value ?? '')
    .split(',')
    .map((p) => p.trim())
    .includes(want);
}

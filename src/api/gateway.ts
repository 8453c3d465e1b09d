/**
 * Gateway API (`gateway.networking.k8s.io/v1`): `Gateway` and `HTTPRoute`, the supported subset of
 * their shape (see docs/routing.md). Kubernetes' field names and defaults; a field or value outside
 * the subset (an HTTPS listener, a RegularExpression match, a mirror filter) is refused with its path
 * named, never dropped. The one GatewayClass served is the built-in `edgeplane`.
 */
import { z } from 'zod';
import { GATEWAY_GROUP } from './kinds.js';
import { Condition, DnsLabel, DnsSubdomain, LabelSelector, objectShape } from './meta.js';

/** The API group of the Gateway API kinds (declared with the kinds' names, which load no zod). */
export { GATEWAY_GROUP };
/** The built-in GatewayClass: Gateways naming it are served on every node. */
export const EDGEPLANE_GATEWAY_CLASS = 'edgeplane';
/** The controller name written in HTTPRoute `status.parents[].controllerName`. */
export const GATEWAY_CONTROLLER_NAME = 'edgeplane.io/gateway-controller';

const Port = z.number().int().min(1).max(65535);
/** A hostname; a leading `*.` label is a wildcard (Gateway API's Hostname). */
export const Hostname = z
  .string()
  .min(1)
  .max(253)
  .regex(/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
    message: 'must be a lower-case hostname, optionally starting with "*."',
  });
/** A header name (RFC 7230 token). */
const HeaderName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/, { message: 'must be a valid HTTP header name' });
/** A Gateway API duration (GEP-2257: `1h`, `10s`, `500ms`, combinations such as `1m30s`). */
export const GatewayDuration = z
  .string()
  .regex(/^([0-9]{1,5}(h|m|s|ms)){1,4}$/, { message: 'must be a duration such as 10s or 500ms' });

/** Milliseconds of a {@link GatewayDuration}. */
export function gatewayDurationMs(text: string): number {
  let ms = 0;
  for (const m of text.matchAll(/([0-9]+)(ms|h|m|s)/g)) {
    const n = Number(m[1]);
    ms += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
  }
  return ms;
}

// ---- Gateway ------------------------------------------------------------------------------------

const RouteGroupKind = z.strictObject({
  group: z.string().max(253).optional(),
  kind: z.literal('HTTPRoute').describe('HTTPRoute, the only route kind served.'),
});

export const GatewayListener = z.strictObject({
  name: DnsLabel.describe('Name of the listener, unique in the Gateway; routes attach to it by `sectionName`.'),
  hostname: Hostname.optional().describe('Host header this listener serves (all hosts when absent).'),
  port: Port.describe("The port every node serves the listener on, at the node's --address."),
  protocol: z.literal('HTTP').describe('HTTP, the only protocol served.'),
  allowedRoutes: z
    .strictObject({
      namespaces: z
        .strictObject({
          from: z.enum(['Same', 'All', 'Selector']).optional(),
          selector: LabelSelector.optional(),
        })
        .optional(),
      kinds: z.array(RouteGroupKind).max(8).optional(),
    })
    .optional()
    .describe('Which routes may attach (default: HTTPRoutes of the Gateway namespace).'),
});
export type GatewayListener = z.infer<typeof GatewayListener>;

export const GatewaySpec = z.strictObject({
  gatewayClassName: DnsSubdomain.describe(`The class of the Gateway; "${EDGEPLANE_GATEWAY_CLASS}" is served.`),
  listeners: z.array(GatewayListener).min(1).max(64).describe('The ports and hostnames served; at least one.'),
  addresses: z
    .array(z.strictObject({ type: z.string().optional(), value: z.string().max(253) }))
    .max(16)
    .optional()
    .describe('Accepted for compatibility: a Gateway is served on every node address.'),
});

const GatewayListenerStatus = z.strictObject({
  name: z.string(),
  supportedKinds: z.array(RouteGroupKind),
  attachedRoutes: z.number().int(),
  conditions: z.array(Condition),
});

export const GatewayStatus = z.strictObject({
  addresses: z.array(z.strictObject({ type: z.string().optional(), value: z.string() })).optional(),
  conditions: z.array(Condition).optional(),
  listeners: z.array(GatewayListenerStatus).optional(),
});
export type GatewayStatus = z.infer<typeof GatewayStatus>;

export const Gateway = z
  .strictObject({
    ...objectShape(`${GATEWAY_GROUP}/v1`, 'Gateway'),
    spec: GatewaySpec.describe('The listeners every node serves.'),
    status: GatewayStatus.optional(),
  })
  .describe('Gateway serves HTTP listeners on every node, where attached HTTPRoutes route requests to Services.');
export type Gateway = z.infer<typeof Gateway>;

// ---- HTTPRoute ----------------------------------------------------------------------------------

export const ParentReference = z.strictObject({
  group: z.string().max(253).optional().describe(`"${GATEWAY_GROUP}" (default) for a Gateway, "" for a Service.`),
  kind: z.enum(['Gateway', 'Service']).optional().describe('Gateway (default) or Service (mesh traffic, GAMMA).'),
  namespace: DnsLabel.optional(),
  name: DnsSubdomain,
  sectionName: DnsLabel.optional().describe("A Gateway listener's name."),
  port: Port.optional(),
});
export type ParentReference = z.infer<typeof ParentReference>;

const HeaderMatch = z.strictObject({
  type: z.literal('Exact').optional(),
  name: HeaderName,
  value: z.string().max(4096),
});

export const HTTPRouteMatch = z.strictObject({
  path: z
    .strictObject({
      type: z.enum(['Exact', 'PathPrefix']).optional(),
      value: z.string().startsWith('/', { message: 'must be an absolute path' }).max(1024).optional(),
    })
    .optional(),
  headers: z.array(HeaderMatch).max(16).optional(),
  queryParams: z
    .array(HeaderMatch.extend({ name: z.string().min(1).max(256) }))
    .max(16)
    .optional(),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']).optional(),
});
export type HTTPRouteMatch = z.infer<typeof HTTPRouteMatch>;

const HeaderValue = z.strictObject({ name: HeaderName, value: z.string().max(4096) });

export const HTTPPathModifier = z.strictObject({
  type: z.enum(['ReplaceFullPath', 'ReplacePrefixMatch']),
  replaceFullPath: z.string().max(1024).optional(),
  replacePrefixMatch: z.string().max(1024).optional(),
});
export type HTTPPathModifier = z.infer<typeof HTTPPathModifier>;

export const HTTPHeaderFilter = z.strictObject({
  set: z.array(HeaderValue).max(16).optional(),
  add: z.array(HeaderValue).max(16).optional(),
  remove: z.array(HeaderName).max(16).optional(),
});

export const HTTPRouteFilter = z.strictObject({
  type: z
    .enum(['RequestHeaderModifier', 'RequestRedirect', 'URLRewrite'])
    .describe('RequestHeaderModifier, RequestRedirect or URLRewrite (the filters served).'),
  requestHeaderModifier: HTTPHeaderFilter.optional(),
  requestRedirect: z
    .strictObject({
      scheme: z.enum(['http', 'https']).optional(),
      hostname: Hostname.optional(),
      path: HTTPPathModifier.optional(),
      port: Port.optional(),
      statusCode: z.union([z.literal(301), z.literal(302)]).optional(),
    })
    .optional(),
  urlRewrite: z.strictObject({ hostname: Hostname.optional(), path: HTTPPathModifier.optional() }).optional(),
});
export type HTTPRouteFilter = z.infer<typeof HTTPRouteFilter>;

export const HTTPBackendRef = z.strictObject({
  group: z.literal('').optional(),
  kind: z.literal('Service').optional().describe('Service, the only backend kind served.'),
  name: DnsLabel,
  namespace: DnsLabel.optional(),
  port: Port.optional(),
  weight: z.number().int().min(0).max(1_000_000).optional().describe("Share of the rule's requests (default 1)."),
});
export type HTTPBackendRef = z.infer<typeof HTTPBackendRef>;

export const HTTPRouteRule = z.strictObject({
  name: DnsLabel.optional(),
  matches: z
    .array(HTTPRouteMatch)
    .max(64)
    .optional()
    .describe('Any one matching selects the rule (default: PathPrefix /).'),
  filters: z.array(HTTPRouteFilter).max(16).optional(),
  backendRefs: z.array(HTTPBackendRef).max(16).optional(),
  timeouts: z
    .strictObject({ request: GatewayDuration.optional(), backendRequest: GatewayDuration.optional() })
    .optional(),
});
export type HTTPRouteRule = z.infer<typeof HTTPRouteRule>;

const RouteParentStatus = z.strictObject({
  parentRef: ParentReference,
  controllerName: z.string(),
  conditions: z.array(Condition),
});
export type RouteParentStatus = z.infer<typeof RouteParentStatus>;

export const HTTPRoute = z
  .strictObject({
    ...objectShape(`${GATEWAY_GROUP}/v1`, 'HTTPRoute'),
    spec: z.strictObject({
      parentRefs: z.array(ParentReference).max(32).optional().describe('Gateways or Services the route attaches to.'),
      hostnames: z.array(Hostname).max(16).optional(),
      rules: z.array(HTTPRouteRule).max(16).optional(),
    }),
    status: z.strictObject({ parents: z.array(RouteParentStatus) }).optional(),
  })
  .describe('HTTPRoute routes HTTP requests by path, header, query and method to weighted Service backends.');
export type HTTPRoute = z.infer<typeof HTTPRoute>;

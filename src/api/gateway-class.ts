/**
 * Gateway API's cluster-scoped `GatewayClass` (`gateway.networking.k8s.io/v1`) and namespaced
 * `ReferenceGrant` (`gateway.networking.k8s.io/v1beta1`), the supported subset of their shape (see
 * docs/routing.md). A class whose `controllerName` is Edgeplane's is accepted and its Gateways are
 * served on every node; a grant lets routes of other namespaces name this namespace's Services.
 */
import { z } from 'zod';
import { GATEWAY_GROUP } from './kinds.js';
import { Condition, DnsLabel, DnsSubdomain, objectShape } from './meta.js';

/** Gateway API's ControllerName: a domain-prefixed path (`example.net/gateway-controller`). */
const ControllerName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/, {
    message: 'must be a domain-prefixed path such as example.net/gateway-controller',
  });

export const GatewayClass = z
  .strictObject({
    ...objectShape(`${GATEWAY_GROUP}/v1`, 'GatewayClass'),
    spec: z.strictObject({
      controllerName: ControllerName.describe(
        'The controller that manages Gateways of this class; "edgeplane.io/gateway-controller" is Edgeplane\'s. Immutable.',
      ),
      description: z.string().max(64).optional().describe('Free-form description of the class.'),
      parametersRef: z
        .strictObject({
          group: z.string().max(253),
          kind: z.string().min(1).max(63),
          name: z.string().min(1).max(253),
          namespace: DnsLabel.optional(),
        })
        .optional()
        .describe('Controller-specific parameters. Edgeplane takes none: a class naming some is not accepted.'),
    }),
    status: z
      .strictObject({
        conditions: z.array(Condition).optional(),
        supportedFeatures: z.array(z.strictObject({ name: z.string() })).optional(),
      })
      .optional(),
  })
  .describe('GatewayClass names the controller that serves the Gateways of a class.');
export type GatewayClass = z.infer<typeof GatewayClass>;

const GrantFrom = z.strictObject({
  group: z.string().max(253).describe(`The referring kind's group ("${GATEWAY_GROUP}" for HTTPRoute).`),
  kind: z.string().min(1).max(63).describe('The referring kind (HTTPRoute).'),
  namespace: DnsLabel.describe('The namespace the references come from.'),
});
const GrantTo = z.strictObject({
  group: z.string().max(253).describe('The referent\'s group ("" for a Service).'),
  kind: z.string().min(1).max(63).describe('The referent kind (Service).'),
  name: DnsSubdomain.optional().describe('One referent by name; all of the kind when absent.'),
});

export const ReferenceGrant = z
  .strictObject({
    ...objectShape(`${GATEWAY_GROUP}/v1beta1`, 'ReferenceGrant'),
    spec: z.strictObject({
      from: z.array(GrantFrom).min(1).max(16).describe('Who may refer into this namespace.'),
      to: z.array(GrantTo).min(1).max(16).describe('What of this namespace they may refer to.'),
    }),
  })
  .describe(
    "ReferenceGrant lets objects of other namespaces refer to this namespace's objects (a route's backendRefs).",
  );
export type ReferenceGrant = z.infer<typeof ReferenceGrant>;

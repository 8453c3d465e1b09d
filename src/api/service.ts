/** v1 Service and v1 Endpoints. */
import { z } from 'zod';
import { DnsLabel, objectShape } from './meta.js';
import { ObjectReference } from './event.js';

export const ServicePort = z.strictObject({
  name: z.string().optional().describe('Name of the port, needed when the Service has several.'),
  protocol: z.literal('TCP').optional().describe('TCP, the only protocol served.'),
  port: z.number().int().min(1).max(65535).describe('The port the Service is reached on.'),
  targetPort: z
    .union([z.number().int().min(1).max(65535), z.string().min(1)])
    .optional()
    .describe("The pods' port (a number or a container port's name); the same as port when not given."),
  nodePort: z
    .number()
    .int()
    .min(1)
    .max(65535)
    .optional()
    .describe('With type NodePort: the port every node listens on (allocated by the hub when not given).'),
});
export type ServicePort = z.infer<typeof ServicePort>;

export const ServiceSpec = z.strictObject({
  selector: z
    .record(z.string(), z.string())
    .optional()
    .describe('Labels of the pods that receive the traffic; only ready pods do.'),
  type: z
    .enum(['ClusterIP', 'NodePort'])
    .optional()
    .describe('ClusterIP (the default: reached through the mesh) or NodePort (also on a port of every node).'),
  ports: z.array(ServicePort).min(1).describe('The ports the Service exposes; at least one.'),
  sessionAffinity: z
    .enum(['None', 'ClientIP'])
    .optional()
    .describe("ClientIP sends a client's requests to the same pod while it is ready."),
  clusterIP: z
    .string()
    .optional()
    .describe('Accepted for compatibility; Services are reached by name through the mesh.'),
});
export type ServiceSpec = z.infer<typeof ServiceSpec>;

export const Service = z
  .strictObject({
    ...objectShape('v1', 'Service'),
    metadata: objectShape('v1', 'Service').metadata.extend({ name: DnsLabel.optional() }),
    spec: ServiceSpec.describe('Which pods receive the traffic and on which ports.'),
    status: z.strictObject({ loadBalancer: z.strictObject({}).optional() }).optional(),
  })
  .describe(
    "Service gives a set of pods one name and balances requests over the ready ones, through every node's mesh proxy.",
  );
export type Service = z.infer<typeof Service>;

export const EndpointAddress = z.strictObject({
  /** The hosting node's address: Wasm pods have no IP of their own; traffic reaches them via their node. */
  ip: z.string(),
  nodeName: z.string().optional(),
  targetRef: ObjectReference.optional(),
});
export type EndpointAddress = z.infer<typeof EndpointAddress>;

export const EndpointPort = z.strictObject({
  name: z.string().optional(),
  port: z.number().int(),
  protocol: z.literal('TCP').optional(),
});

export const EndpointSubset = z.strictObject({
  addresses: z.array(EndpointAddress).optional(),
  notReadyAddresses: z.array(EndpointAddress).optional(),
  ports: z.array(EndpointPort).optional(),
});
export type EndpointSubset = z.infer<typeof EndpointSubset>;

export const Endpoints = z.strictObject({
  ...objectShape('v1', 'Endpoints'),
  subsets: z.array(EndpointSubset).optional(),
});
export type Endpoints = z.infer<typeof Endpoints>;

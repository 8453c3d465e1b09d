/** v1 Service and v1 Endpoints. */
import { z } from 'zod';
import { DnsLabel, objectShape } from './meta.js';
import { ObjectReference } from './event.js';

export const ServicePort = z.strictObject({
  name: z.string().optional(),
  protocol: z.literal('TCP').optional(),
  port: z.number().int().min(1).max(65535),
  targetPort: z.union([z.number().int().min(1).max(65535), z.string().min(1)]).optional(),
  nodePort: z.number().int().min(1).max(65535).optional(),
});
export type ServicePort = z.infer<typeof ServicePort>;

export const ServiceSpec = z.strictObject({
  selector: z.record(z.string(), z.string()).optional(),
  type: z.enum(['ClusterIP', 'NodePort']).optional(),
  ports: z.array(ServicePort).min(1),
  sessionAffinity: z.enum(['None', 'ClientIP']).optional(),
  clusterIP: z.string().optional(),
});
export type ServiceSpec = z.infer<typeof ServiceSpec>;

export const Service = z.strictObject({
  ...objectShape('v1', 'Service'),
  metadata: objectShape('v1', 'Service').metadata.extend({ name: DnsLabel.optional() }),
  spec: ServiceSpec,
  status: z.strictObject({ loadBalancer: z.strictObject({}).optional() }).optional(),
});
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

/** v1 Node: a registered edge device, its capacity, runtimes and conditions. */
import { z } from 'zod';
import { Condition, Quantity, objectShape } from './meta.js';

export const Taint = z.strictObject({
  key: z.string(),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
  timeAdded: z.string().optional(),
});
export type Taint = z.infer<typeof Taint>;

export const NodeSpec = z.strictObject({
  unschedulable: z.boolean().optional(),
  taints: z.array(Taint).optional(),
  podCIDR: z.string().optional(),
});

const ResourceMap = z.record(z.string(), Quantity);

export const NodeAddress = z.strictObject({
  type: z.enum(['InternalIP', 'ExternalIP', 'Hostname']),
  address: z.string(),
});

export const NodeStatus = z.strictObject({
  capacity: ResourceMap.optional(),
  allocatable: ResourceMap.optional(),
  conditions: z.array(Condition).optional(),
  addresses: z.array(NodeAddress).optional(),
  /** The mesh port other nodes forward service traffic to (Kubernetes puts the kubelet's port here). */
  daemonEndpoints: z
    .strictObject({ kubeletEndpoint: z.strictObject({ Port: z.number().int() }).optional() })
    .optional(),
  nodeInfo: z
    .strictObject({
      architecture: z.string(),
      operatingSystem: z.string(),
      kubeletVersion: z.string(),
      kernelVersion: z.string().optional(),
      osImage: z.string().optional(),
      containerRuntimeVersion: z.string().optional(),
      machineID: z.string().optional(),
      systemUUID: z.string().optional(),
      bootID: z.string().optional(),
    })
    .optional(),
  /** Runtimes the node offers (`wasm`, `oci`), as Kubernetes 1.30's `status.runtimeHandlers`. */
  runtimeHandlers: z.array(z.strictObject({ name: z.string() })).optional(),
  /** Components cached on the node (digests), for the scheduler's image-locality score. */
  images: z.array(z.strictObject({ names: z.array(z.string()), sizeBytes: z.number().optional() })).optional(),
});
export type NodeStatus = z.infer<typeof NodeStatus>;

export const Node = z.strictObject({
  ...objectShape('v1', 'Node'),
  spec: NodeSpec.optional(),
  status: NodeStatus.optional(),
});
export type Node = z.infer<typeof Node>;

export { nodeAddress, nodeReadyStatus } from './object-facts.js';

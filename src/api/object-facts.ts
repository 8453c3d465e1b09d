/**
 * Facts read off objects that tables, the hub and the node share. They are typed structurally, so
 * this file needs no schema: edgectl's tables use it without loading zod (its start-up time).
 */

/** The node's `Ready` condition status, `Unknown` when absent. */
export function nodeReadyStatus<S extends string>(node: {
  status?: { conditions?: readonly { type: string; status: S }[] | undefined } | undefined;
}): S | 'Unknown' {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown';
}

/** The address other nodes and users reach this node on. */
export function nodeAddress(node: {
  status?: { addresses?: readonly { type: string; address: string }[] | undefined } | undefined;
}): string | undefined {
  return node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
}

/** The runtime a pod runs on: explicit `runtimeClassName`, else `wasm` for a `.wasm` image, else `oci`. */
export function defaultRuntimeClass<R extends string>(spec: {
  runtimeClassName?: R | undefined;
  containers: readonly { image?: string | undefined }[];
}): R | 'wasm' | 'oci' {
  if (spec.runtimeClassName) return spec.runtimeClassName;
  const image = spec.containers[0]?.image ?? '';
  const name = image.split('@')[0] ?? '';
  return name.endsWith('.wasm') ? 'wasm' : 'oci';
}

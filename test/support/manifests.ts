/**
 * Manifests of the hello-style Wasm service the end-to-end tests and benchmarks deploy: a Deployment
 * whose pods learn their names (POD_NAME, NODE_NAME from fieldRef) and a NodePort Service in front.
 * JSON documents joined by `---` (YAML is a superset of JSON), fed to `edgectl apply -f -`.
 */

export interface WasmServiceOptions {
  name: string;
  /** Path of the component (edgectl uploads it). */
  image: string;
  replicas: number;
  nodePort: number;
  /** Extra Deployment spec fields (strategy, progressDeadlineSeconds, …). */
  deployment?: Record<string, unknown>;
  /** Extra pod spec fields (terminationGracePeriodSeconds, …). */
  pod?: Record<string, unknown>;
}

/** The Deployment + NodePort Service of one Wasm HTTP service listening on 8080. */
export function wasmServiceManifest(o: WasmServiceOptions): string {
  const env = [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
  ];
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: o.name },
    spec: {
      replicas: o.replicas,
      ...o.deployment,
      selector: { matchLabels: { app: o.name } },
      template: {
        metadata: { labels: { app: o.name } },
        spec: { ...o.pod, containers: [{ name: o.name, image: o.image, ports: [{ containerPort: 8080 }], env }] },
      },
    },
  };
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: o.name },
    spec: {
      type: 'NodePort',
      selector: { app: o.name },
      ports: [{ port: 80, targetPort: 8080, nodePort: o.nodePort }],
    },
  };
  return [deployment, service].map((d) => JSON.stringify(d)).join('\n---\n');
}

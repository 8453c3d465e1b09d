/** The objects a fleet run creates: the Deployment of hollow pods, a Service over it, the probe Namespace. */

/** Label every fleet pod carries. */
export const FLEET_APP = 'fleet';

/** A Deployment of `replicas` pods; the image is never pulled (hollow nodes run nothing). */
export function fleetDeployment(replicas: number): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: FLEET_APP, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: FLEET_APP } },
      template: {
        metadata: { labels: { app: FLEET_APP } },
        spec: {
          containers: [{ name: 'app', image: 'hollow.invalid/fleet/app.wasm', ports: [{ containerPort: 8080 }] }],
        },
      },
    },
  };
}

/** A ClusterIP Service over the fleet's pods: every Ready pod is an endpoint. */
export function fleetService(): object {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: FLEET_APP, namespace: 'default' },
    spec: { selector: { app: FLEET_APP }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  };
}

/** The object the API sampler's writes patch (a Namespace: a write no controller fans out from). */
export function probeNamespace(): object {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fleet-probe' } };
}

/** Label of the fleet DaemonSet's pods. */
export const FLEET_DAEMON = 'fleet-agent';

/** A DaemonSet: one pod on every node (the log shipper or metrics agent an edge fleet runs everywhere). */
export function fleetDaemonSet(): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: FLEET_DAEMON, namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: FLEET_DAEMON } },
      template: {
        metadata: { labels: { app: FLEET_DAEMON } },
        spec: { containers: [{ name: 'agent', image: 'hollow.invalid/fleet/agent.wasm' }] },
      },
    },
  };
}

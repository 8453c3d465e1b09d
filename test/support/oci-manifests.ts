/** Manifests and status helpers shared by the OCI end-to-end tests. */
import { type Cluster, kind } from './cluster.js';
import type { KubeObject } from '../../src/api/index.js';

export interface ContainerStatusLike {
  restartCount: number;
  ready: boolean;
  imageID?: string;
  containerID?: string;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: { startedAt?: string };
    terminated?: { exitCode: number; reason?: string; message?: string };
  };
  lastState?: ContainerStatusLike['state'];
}

export interface PodLike extends KubeObject {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: Array<{ type: string; status: string; message?: string }>;
    containerStatuses?: ContainerStatusLike[];
  };
}

export interface EventLike extends KubeObject {
  reason?: string;
  message?: string;
  involvedObject: { name?: string };
}

export const cs0 = (p: PodLike | undefined): ContainerStatusLike | undefined => p?.status?.containerStatuses?.[0];
export const isReady = (p: PodLike | undefined): boolean =>
  p?.status?.phase === 'Running' &&
  (p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);

/** Live (not terminating) pods labelled `app=<app>`. */
export async function podsOf(cluster: Cluster, app: string): Promise<PodLike[]> {
  const list = await cluster.client.list<PodLike>(kind('pods'), { namespace: 'default', labelSelector: `app=${app}` });
  return list.items.filter((p) => !p.metadata.deletionTimestamp);
}

/** Events about object `name`. */
export async function eventsOf(cluster: Cluster, name: string): Promise<EventLike[]> {
  const list = await cluster.client.list<EventLike>(kind('events'), { namespace: 'default' });
  return list.items.filter((e) => e.involvedObject.name === name);
}

/** Options of {@link webManifest}. */
export interface WebOptions {
  name: string;
  image: string;
  replicas: number;
  /** Also a NodePort Service on this port. */
  nodePort?: number;
  /** Pin the pods to this node. */
  node?: string;
  command?: string[];
  livenessProbe?: Record<string, unknown>;
  annotations?: Record<string, string>;
}

/**
 * A Deployment of busybox httpd containers (`runtimeClassName: oci`, port 80, a tcpSocket readiness
 * probe, small limits, a 1 s grace: httpd as PID 1 ignores SIGTERM), and optionally its NodePort.
 */
export function webManifest(o: WebOptions): string {
  const container: Record<string, unknown> = {
    name: 'httpd',
    image: o.image,
    ports: [{ containerPort: 80 }],
    readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 1 },
    resources: { limits: { memory: '64Mi', cpu: '500m' } },
  };
  if (o.command) container.command = o.command;
  if (o.livenessProbe) container.livenessProbe = o.livenessProbe;
  const podSpec: Record<string, unknown> = {
    runtimeClassName: 'oci',
    terminationGracePeriodSeconds: 1,
    containers: [container],
  };
  if (o.node) podSpec.nodeSelector = { 'kubernetes.io/hostname': o.node };
  const docs: object[] = [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: o.name },
      spec: {
        replicas: o.replicas,
        selector: { matchLabels: { app: o.name } },
        template: {
          metadata: { labels: { app: o.name }, ...(o.annotations ? { annotations: o.annotations } : {}) },
          spec: podSpec,
        },
      },
    },
  ];
  if (o.nodePort !== undefined) {
    docs.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: o.name },
      spec: {
        type: 'NodePort',
        selector: { app: o.name },
        ports: [{ port: 80, targetPort: 80, nodePort: o.nodePort }],
      },
    });
  }
  return docs.map((d) => JSON.stringify(d)).join('\n---\n');
}

/** Deletes every Deployment and Pod of the default namespace (what earlier, failed tests left too). */
export async function deleteEverything(cluster: Cluster): Promise<void> {
  for (const type of [kind('deployments'), kind('pods')]) {
    for (const o of (await cluster.client.list(type, { namespace: 'default' })).items) {
      await cluster.client.delete(type, 'default', o.metadata.name ?? '').catch(() => undefined);
    }
  }
}

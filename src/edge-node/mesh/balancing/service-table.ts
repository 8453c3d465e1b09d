/**
 * The Services this node knows (the hub's `serviceSync`), indexed the ways traffic arrives: by
 * `nodePort` (external traffic at the NodePort listeners), by namespace and name (pods' outgoing
 * calls, whatever the Service's type), by Service port key (containers' local listeners), and by
 * namespace (containers' Service env vars). The endpoints traffic goes to are computed once per
 * update, not per request: the ready ones, or, while a Service has none, its serving terminating ones
 * (kube-proxy's fallback, KEP-1669: a one-replica workload's old pod answers until the new one is Ready).
 */
import type { Logger, ServiceRoute } from '../../../api/index.js';
import type { ServiceEndpoint } from './endpoint-picker.js';

/** One port of one Service: what a request to it is balanced over. */
export interface ServicePortRoute {
  /** The picker's key: `namespace/name:port`. */
  key: string;
  service: ServiceRoute;
  port: ServiceRoute['ports'][number];
  /** The endpoints traffic goes to: the Service's ready ones, else its serving terminating ones. */
  ready: readonly ServiceEndpoint[];
}

/** The current Service set. */
export class ServiceTable {
  private readonly byPort = new Map<number, ServicePortRoute>();
  private readonly byName = new Map<string, ServicePortRoute[]>();
  private readonly byNamespace = new Map<string, ServiceRoute[]>();
  private readonly byKey = new Map<string, ServicePortRoute>();
  private readonly zones = new Map<string, string>();
  private uids = new Set<string>();
  /** `node \n namespace/pod \n targetPort` of every endpoint (ready or not) of every Service port. */
  private endpointPorts = new Set<string>();

  constructor(private readonly logger: Logger) {}

  /** Replaces the whole set. */
  update(services: readonly ServiceRoute[]): void {
    this.byPort.clear();
    this.byName.clear();
    this.byNamespace.clear();
    this.byKey.clear();
    this.zones.clear();
    this.uids = new Set();
    this.endpointPorts = new Set();
    for (const service of services) {
      const ready = servingEndpoints(service);
      for (const e of service.endpoints) {
        this.uids.add(e.pod.uid);
        if (e.zone !== undefined) this.zones.set(e.nodeName, e.zone);
        for (const port of service.ports)
          this.endpointPorts.add(endpointPortKey(e.nodeName, e.pod.namespace, e.pod.name, port.targetPort));
      }
      const routes = service.ports.map((port) => ({
        key: `${service.namespace}/${service.name}:${port.port}`,
        service,
        port,
        ready,
      }));
      // A Gateway listener port is served like a NodePort and is no Service pods can call by name.
      if (service.http?.gateway) {
        for (const route of routes) this.addNodePort(route);
        continue;
      }
      this.byName.set(`${service.namespace}/${service.name}`, routes);
      const inNamespace = this.byNamespace.get(service.namespace);
      if (inNamespace) inNamespace.push(service);
      else this.byNamespace.set(service.namespace, [service]);
      for (const route of routes) {
        this.byKey.set(route.key, route);
        this.addNodePort(route);
      }
    }
  }

  private addNodePort(route: ServicePortRoute): void {
    const nodePort = route.port.nodePort;
    if (nodePort === undefined) return;
    if (this.byPort.has(nodePort)) {
      this.logger.error(
        { nodePort, service: `${route.service.namespace}/${route.service.name}` },
        'nodePort used by two services; keeping the first',
      );
      return;
    }
    this.byPort.set(nodePort, route);
  }

  /** The route listening on `nodePort`. */
  byNodePort(nodePort: number): ServicePortRoute | undefined {
    return this.byPort.get(nodePort);
  }

  /** Every port of the Service `namespace/name`, or undefined when there is no such Service. */
  ports(namespace: string, name: string): readonly ServicePortRoute[] | undefined {
    return this.byName.get(`${namespace}/${name}`);
  }

  /** The Services of `namespace`, in the order the hub sent them. */
  inNamespace(namespace: string): readonly ServiceRoute[] {
    return this.byNamespace.get(namespace) ?? [];
  }

  /** Every port of every Service. */
  allPorts(): IterableIterator<ServicePortRoute> {
    return this.byKey.values();
  }

  /** One Service port by its key (`namespace/name:port`). */
  route(key: string): ServicePortRoute | undefined {
    return this.byKey.get(key);
  }

  /** The nodePorts wanted (ClusterIP Services have none: they are reachable only through the mesh). */
  nodePorts(): number[] {
    return [...this.byPort.keys()];
  }

  /** A node's zone as the hub published it with its endpoints. */
  zoneOf(nodeName: string): string | undefined {
    return this.zones.get(nodeName);
  }

  /**
   * Whether pod `namespace/name` on `nodeName` is an endpoint (ready or not) of a Service port whose
   * targetPort is `targetPort` (a number, or a containerPort's name, as the mesh header carries it).
   */
  isEndpointPort(nodeName: string, namespace: string, name: string, targetPort: number | string): boolean {
    return this.endpointPorts.has(endpointPortKey(nodeName, namespace, name, targetPort));
  }

  /** Pod uids of every endpoint, ready or not. */
  endpointUids(): ReadonlySet<string> {
    return this.uids;
  }
}

/** A Service's ready endpoints or, when it has none, those still serving while they terminate. */
export function servingEndpoints(service: ServiceRoute): ServiceEndpoint[] {
  const ready = service.endpoints.filter((e) => e.ready);
  return ready.length > 0 ? ready : service.endpoints.filter((e) => e.terminating === true && e.serving === true);
}

function endpointPortKey(nodeName: string, namespace: string, name: string, targetPort: number | string): string {
  return `${nodeName}\n${namespace}/${name}\n${String(targetPort)}`;
}

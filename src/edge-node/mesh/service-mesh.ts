/**
 * The node's Service mesh, built in one place: the Service table and the balancer over it, the
 * deliverer, the NodePort proxy (external traffic), the mesh server (peers' forwarded traffic), the
 * service client (Wasm pods' outgoing calls) and — for runtimes whose containers are network peers
 * of the node — the local proxy containers reach Services through.
 *
 * It is created before the runtimes and the pod workers: the Wasm runtime is built with its
 * `outgoingHttp`, and what the mesh needs of the node's pods it reads from `localPods`, the registry
 * the pod workers fill, and of the node's identity from `identity`, which the agent sets. Nothing in
 * it refers to an object made after it. The local proxy opens at `start`, where the runtimes whose
 * containers it serves (built after the mesh) are handed in.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger, OutgoingHttpHandler, Pod, Runtime, ServiceRoute } from '../../api/index.js';
import type { EndpointPicker, PickOrigin } from './balancing/endpoint-picker.js';
import type { ServiceBalancer } from './balancing/service-balancer.js';
import type { ServiceTable } from './balancing/service-table.js';
import type { ServiceHold } from './balancing/service-hold.js';
import { answerFailure } from './balancing/balance-answer.js';
import type { Deliverer } from './delivery/deliverer.js';
import { UpstreamUnreachableError } from './delivery/upstream-error.js';
import { clientBodyError, type BodyBuffers } from './http/body-limits.js';
import { proxiedRequest, sendText } from './http/http-util.js';
import { ServerResponseSink } from './http/response-sink.js';
import { LocalProxy } from './egress/local-proxy.js';
import { ServiceClient } from './egress/service-client.js';
import { listenerLimits } from './http/listener-limits.js';
import type { MeshBlobHandler, MeshServer } from './ingress/mesh-server.js';
import { NodePortProxy } from './ingress/node-port-proxy.js';
import type { LocalPods } from './local-pods.js';
import type { RequestAccounting } from './accounting/request-accounting.js';
import type { MeshIdentity } from './mesh-identity.js';
import { buildMeshParts, type MeshParts } from './mesh-parts.js';
import type { MeshStart, ServiceMeshDeps } from './service-mesh-options.js';
import type { MeshTlsMaterial, MeshTransport } from './trust/tls-material.js';

export type { MeshStart, ServiceMeshDeps } from './service-mesh-options.js';

/** Service traffic of one node: in from NodePorts and peers, out from pods, balanced over endpoints. */
export class ServiceMesh {
  /** The node's pods, filled by the pod workers. */
  readonly localPods: LocalPods;
  /** This node's name and the cluster's mesh token, set by the agent. */
  readonly identity: MeshIdentity;
  /** The requests delivered to this node's pods and balanced over Services (metrics read it). */
  readonly requests: RequestAccounting;
  /** Requests held for Services with no ready endpoint (scale from zero); the agent sets its `onWake`. */
  readonly hold: ServiceHold;
  private readonly deps: ServiceMeshDeps;
  private readonly logger: Logger;
  private readonly table: ServiceTable;
  private readonly picker: EndpointPicker;
  private readonly balancer: ServiceBalancer;
  private readonly deliverer: Deliverer;
  private readonly bodyBuffers: BodyBuffers;
  private readonly nodePortProxy: NodePortProxy;
  private readonly server: MeshServer;
  private readonly client: ServiceClient;
  /** Open from `start` while a runtime's containers reach the node over IP (OCI); none on a Wasm-only node. */
  private localProxy: LocalProxy | undefined;

  private constructor(deps: ServiceMeshDeps, parts: MeshParts) {
    this.deps = deps;
    this.identity = parts.identity;
    this.localPods = parts.localPods;
    this.requests = parts.requests;
    this.hold = parts.hold;
    this.logger = parts.logger;
    this.table = parts.table;
    this.picker = parts.picker;
    this.balancer = parts.balancer;
    this.deliverer = parts.deliverer;
    this.bodyBuffers = parts.bodyBuffers;
    this.server = parts.server;
    this.nodePortProxy = new NodePortProxy({
      address: deps.address,
      table: this.table,
      balancer: this.balancer,
      logger: deps.logger.child({ component: 'proxy' }),
      limits: deps.listenerLimits ?? {},
      bodyBuffers: this.bodyBuffers,
    });
    this.client = new ServiceClient({
      table: this.table,
      balancer: this.balancer,
      deliverer: this.deliverer,
      origin: () => this.origin(),
      annotations: (caller) => this.localPods.annotationsOf(caller),
      logger: this.logger,
    });
  }

  /** Builds the mesh (nothing listens until `start`). */
  static async create(deps: ServiceMeshDeps): Promise<ServiceMesh> {
    return new ServiceMesh(deps, await buildMeshParts(deps));
  }

  /**
   * Resolves and delivers the outgoing HTTP calls of this node's pods (Services by name through the
   * mesh; other hosts only when the pod's `edgeplane.io/allowed-outgoing-hosts` allows them). Hand it
   * to the runtimes as their `outgoingHttp`.
   */
  get outgoingHttp(): OutgoingHttpHandler {
    return this.client.handle;
  }

  /**
   * Serves one HTTP request to `port` of a local pod that is not a socket (a Wasm pod), as the mesh
   * server delivers it (body limits, deadline, the pod's request accounting): kubectl port-forward
   * to a Wasm pod comes this way, the node parsing the forwarded bytes as HTTP/1.1.
   */
  async serveLocal(
    namespace: string,
    name: string,
    port: number,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const t = this.localPods.target(namespace, name, port);
    if (!t.ok) return sendText(res, 503, t.message);
    const body = proxiedRequest(req, listenerLimits(this.deps.listenerLimits).maxRequestBodyBytes);
    try {
      const sink = new ServerResponseSink(res);
      await this.deliverer.deliverLocal(t, body, sink, undefined, { namespace, name });
    } catch (err) {
      if (err instanceof UpstreamUnreachableError) sendText(res, 503, err.message);
      else answerFailure(res, clientBodyError(err, body.body) ?? err, '');
    } finally {
      body.body.release();
    }
  }

  /** The mesh port: the one listened on once started, else the one configured. */
  get meshPort(): number {
    return this.server.port || this.deps.meshPort;
  }

  /** How hops between nodes are secured. */
  get transport(): MeshTransport {
    return this.deps.transport;
  }

  /**
   * The node's current TLS material (mTLS mode), at start and on every rotation of its certificate:
   * the mesh server's new handshakes present it (open connections stay), and hops to peers open new
   * pools with it while the old ones finish their requests. Requests in flight are not disturbed.
   */
  setTlsMaterial(material: MeshTlsMaterial): void {
    this.server.setTlsMaterial(material);
    this.deliverer.setTlsMaterial(material);
  }

  /** Serves the blobs this node holds to its peers on the mesh port (issue 20; see peer-blobs/). */
  setBlobHandler(handler: MeshBlobHandler): void {
    this.server.setBlobHandler(handler);
  }

  /** NodePorts currently open. */
  nodePorts(): number[] {
    return this.nodePortProxy.listeningPorts();
  }

  /** The local listeners for containers (Service ports, HTTP proxy) open now. */
  localListeners(): Array<{ address: string; port: number }> {
    return this.localProxy?.listening() ?? [];
  }

  /**
   * Listens on the mesh port, then opens the local proxy for the `runtimes` whose containers are
   * network peers of the node (none: a Wasm-only node opens nothing), with its port assignments of
   * earlier runs.
   */
  async start(node: MeshStart): Promise<void> {
    await this.server.start();
    this.localProxy = LocalProxy.forRuntimes(node.runtimes, {
      table: this.table,
      balancer: this.balancer,
      deliverer: this.deliverer,
      origin: () => this.origin(),
      callerAt: (ip) => this.localPods.callerAt(ip),
      store: node.localPorts,
      logger: this.deps.logger.child({ component: 'local-proxy' }),
      ...(this.deps.localPortRange ? { range: this.deps.localPortRange } : {}),
      limits: this.deps.listenerLimits ?? {},
      bodyBuffers: this.bodyBuffers,
    });
    await this.localProxy?.start();
  }

  /** Follows a new Service set: the table, the picker's memory, the NodePorts and local listeners. */
  async update(services: readonly ServiceRoute[]): Promise<void> {
    this.table.update(services);
    this.picker.retain?.(this.table.endpointUids());
    const names = new Set(services.map((s) => `${s.namespace}/${s.name}`));
    this.requests.retainServices((ns, name) => names.has(`${ns}/${name}`));
    this.hold.changed(); // held requests whose Service has an endpoint now go on
    await this.nodePortProxy.update();
    await this.localProxy?.update();
  }

  /** The Service set has been read once (containers created from now get their Services' env vars). */
  servicesKnown(): void {
    this.localProxy?.servicesKnown();
  }

  /** The env vars of a container of `pod` about to be created on `runtime` (none without a local proxy). */
  async serviceEnv(pod: Pod, runtime: Runtime): Promise<Record<string, string>> {
    return this.localProxy ? this.localProxy.envFor(pod, runtime) : {};
  }

  /** Closes every listener, then the connection pools. */
  async stop(): Promise<void> {
    this.hold.close();
    await this.nodePortProxy.stop();
    await this.localProxy?.stop();
    await this.server.stop();
    await this.deliverer.close();
  }

  /** This node and its zone (locality preference of pods' calls). */
  private origin(): PickOrigin {
    const nodeName = this.identity.nodeName;
    const zone = this.table.zoneOf(nodeName) ?? labelZone(this.deps.labels);
    return zone === undefined ? { nodeName } : { nodeName, zone };
  }
}

/** The zone a node's labels name (for the mesh, the hub's view from the Service routes wins when it has one). */
export function labelZone(labels: Record<string, string>): string | undefined {
  return labels['topology.kubernetes.io/zone'] ?? labels.zone;
}

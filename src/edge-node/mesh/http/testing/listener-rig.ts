/**
 * The listener-limit tests' rig, over real sockets with the real proxy classes: an upstream container
 * port (answers with the body's size; `/hold` waits until released), an in-process workload (the
 * same), a NodePort proxy with a `tcp` and a `wasm` node port, and a mesh server, all sharing one
 * deliverer and one node budget of body buffers. Plus the raw and plain clients the tests speak with.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { systemClock } from '../../../../api/index.js';
import type { ServiceRoute, WorkloadEndpoint, WorkloadRequest, WorkloadResponse } from '../../../../api/index.js';
import { silentLogger } from '../../../../platform/index.js';
import { LeastLoadedPicker } from '../../balancing/least-loaded-picker.js';
import { ServiceBalancer } from '../../balancing/service-balancer.js';
import { ServiceTable } from '../../balancing/service-table.js';
import { Deliverer } from '../../delivery/deliverer.js';
import { MeshServer } from '../../ingress/mesh-server.js';
import { NodePortProxy } from '../../ingress/node-port-proxy.js';
import type { LocalTargetLookup } from '../../local-pods.js';
import { BodyBuffers } from '../body-limits.js';
import { freePort } from '../../../testing/test-agents.js';

export { freePort };

/** The listeners' largest request body. */
export const MAX_BODY = 1024 * 1024;
/** The listeners' cap of concurrent requests. */
export const CAP = 3;
export const logger = silentLogger();

/** A request's arrival at the upstream container port. */
export interface Received {
  path: string;
  bytes: number;
  complete: boolean;
}

/** The running rig; the tests read its records and set its one-shot hooks. */
export interface ListenerRig {
  upstreamPort: number;
  /** Requests the upstream container port has seen. */
  received: Received[];
  /** Called once when the upstream next gets body bytes. */
  firstBytes: (() => void) | undefined;
  /** Answers of upstream `/hold` requests, waiting to be released. */
  held: Array<() => void>;
  /** Called whenever an upstream `/hold` request has arrived. */
  heldArrived: (() => void) | undefined;
  /** Answers of in-process `/hold` requests, waiting to be released. */
  inProcessHeld: Array<() => void>;
  proxy: NodePortProxy;
  mesh: MeshServer;
  deliverer: Deliverer;
  /** Room for two and a half largest bodies. */
  buffers: BodyBuffers;
  /** The node ports of the `tcp` (upstream) and `wasm` (in-process) Services. */
  ports: { tcp: number; wasm: number };
  stop(): Promise<void>;
}

/** A NodePort Service `default/<name>` (port 80 → 8080 on `nodePort`) with these endpoints. */
export function nodePortRoute(name: string, nodePort: number, endpoints: ServiceRoute['endpoints']): ServiceRoute {
  return {
    namespace: 'default',
    name,
    type: 'NodePort',
    sessionAffinity: 'None',
    ports: [{ port: 80, targetPort: 8080, nodePort }],
    endpoints,
  };
}

function service(name: string, nodePort: number): ServiceRoute {
  const pod = { namespace: 'default', name, uid: `uid-${name}` };
  return nodePortRoute(name, nodePort, [{ pod, nodeName: 'self', address: '127.0.0.1', meshPort: 1, ready: true }]);
}

/** Starts the upstream, the NodePort proxy and the mesh server. */
export async function startListenerRig(): Promise<ListenerRig> {
  const received: Received[] = [];
  const held: Array<() => void> = [];
  const inProcessHeld: Array<() => void> = [];
  const inProcess: WorkloadEndpoint = {
    kind: 'in-process',
    async handle(req: WorkloadRequest): Promise<WorkloadResponse> {
      if (req.path === '/hold') await new Promise<void>((r) => inProcessHeld.push(r));
      return {
        status: 200,
        headers: [['content-type', 'text/plain']],
        body: Buffer.from(`wasm got ${req.body.byteLength}`),
      };
    },
  };
  const hooks: Pick<ListenerRig, 'firstBytes' | 'heldArrived'> = { firstBytes: undefined, heldArrived: undefined };
  const upstream = createServer((req: IncomingMessage, res: ServerResponse) => {
    const entry = { path: req.url ?? '', bytes: 0, complete: false };
    received.push(entry);
    req.on('data', (c: Buffer) => {
      entry.bytes += c.length;
      rig.firstBytes?.();
      rig.firstBytes = undefined;
    });
    req.on('end', () => {
      entry.complete = true;
      const answer = (): void => void res.end(`container got ${entry.bytes}`);
      if (req.url === '/hold') {
        held.push(answer);
        rig.heldArrived?.();
      } else answer();
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamPort = (upstream.address() as AddressInfo).port;
  const local: LocalTargetLookup = (_ns, name) => ({
    ok: true,
    runtime: { endpoint: () => (name === 'wasm' ? inProcess : { kind: 'tcp', host: '127.0.0.1', port: upstreamPort }) },
    containerId: name,
    port: 8080,
  });
  const buffers = new BodyBuffers(2.5 * MAX_BODY);
  const deliverer = new Deliverer({
    logger,
    bodyBuffers: buffers,
    transport: 'insecure-token',
    meshToken: () => 'mesh-token',
  });
  const table = new ServiceTable(logger);
  const ports = { tcp: await freePort(), wasm: await freePort() };
  table.update([service('tcp', ports.tcp), service('wasm', ports.wasm)]);
  const balancer = new ServiceBalancer({
    nodeName: () => 'self',
    picker: new LeastLoadedPicker({ clock: systemClock, logger }),
    local,
    deliverer,
  });
  const limits = { maxRequestBodyBytes: MAX_BODY, maxConcurrentRequests: CAP, headersTimeoutMs: 300 };
  const proxy = new NodePortProxy({ address: '127.0.0.1', table, balancer, logger, limits, bodyBuffers: buffers });
  await proxy.update();
  const mesh = await MeshServer.create({
    address: '127.0.0.1',
    port: 0,
    transport: 'insecure-token',
    meshToken: () => 'mesh-token',
    local,
    isServiceEndpoint: () => true,
    deliverer,
    logger,
    limits,
    bodyBuffers: buffers,
  });
  await mesh.start();
  const rig: ListenerRig = {
    ...hooks,
    upstreamPort,
    received,
    held,
    inProcessHeld,
    proxy,
    mesh,
    deliverer,
    buffers,
    ports,
    async stop() {
      for (const release of [...held.splice(0), ...inProcessHeld.splice(0)]) release();
      await proxy.stop();
      await mesh.stop();
      await deliverer.close();
      upstream.closeAllConnections();
      await new Promise((r) => upstream.close(r));
    },
  };
  return rig;
}

/** An answer as the tests read it. */
export interface RawAnswer {
  status: number;
  head: string;
  body: string;
}

/** Writes `head` (and whatever `feed` writes) on a raw connection; resolves with the first response once the server closes or it is complete. */
export function raw(port: number, head: string, feed?: (s: Socket) => void): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let data = '';
    const finish = (): void => {
      const [h = '', b = ''] = data.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(h)?.[1] ?? 0);
      const length = Number(/content-length: (\d+)/i.exec(h)?.[1] ?? -1);
      resolve({ status, head: h, body: length >= 0 ? b.slice(0, length) : b });
    };
    s.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      const [h, b] = data.split('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(h ?? '')?.[1] ?? -1);
      if (b !== undefined && length >= 0 && b.length >= length) {
        finish();
        s.destroy();
      }
    });
    s.on('close', finish);
    s.on('error', (err: NodeJS.ErrnoException) => (data ? finish() : reject(err)));
    s.write(head);
    feed?.(s);
  });
}

/** A plain request with `body`, through node:http. */
export function send(port: number, path: string, body = '', headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: body ? 'POST' : 'GET', headers, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, head: JSON.stringify(res.headers), body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

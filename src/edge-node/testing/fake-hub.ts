/**
 * A minimal hub peer for the agent's tests: a `ws` WebSocketServer on loopback that checks the join
 * token, welcomes nodes, sends `podSync`/`serviceSync` on every connect and records what nodes send.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { GATEWAY_PATH, NodeToHub, PROTOCOL_VERSION, decodeFrame, encodeFrame } from '../../api/index.js';
import type { HubToNode, Pod, ServiceRoute } from '../../api/index.js';

/** Settings of the fake hub. */
export interface FakeHubOptions {
  token?: string;
  heartbeatIntervalSeconds?: number;
  meshToken?: string;
}

/** Records and drives the node side of the gateway. */
export class FakeHub {
  readonly token: string;
  readonly meshToken: string;
  /** Every message received, with the sending node's name. */
  readonly received: Array<{ node: string; msg: NodeToHub }> = [];
  /** Desired pods per node name; sent as `podSync` on each connect. */
  readonly pods = new Map<string, Pod[]>();
  services: ServiceRoute[] = [];
  connections = 0;
  rejected = 0;
  private readonly sockets = new Map<string, WebSocket>();
  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly opts: FakeHubOptions;

  private constructor(opts: FakeHubOptions) {
    this.opts = opts;
    this.token = opts.token ?? 'join-token';
    this.meshToken = opts.meshToken ?? 'mesh-secret';
    this.server = createServer((_req, res) => res.writeHead(404).end());
    this.server.on('upgrade', (req, socket, head) => {
      // An upgraded socket has no error listener of the HTTP server's: a dialer that resets after our
      // 401 must not raise an uncaught ECONNRESET in the test process (a CI run saw one).
      socket.on('error', () => socket.destroy());
      if (req.url !== GATEWAY_PATH || req.headers.authorization !== `Bearer ${this.token}`) {
        this.rejected += 1;
        socket.end(
          'HTTP/1.1 401 Unauthorized\r\ncontent-type: text/plain\r\ncontent-length: 13\r\n\r\nbad token\r\n\r\n',
        );
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
    });
  }

  /** Starts listening on a free loopback port. */
  static async start(opts: FakeHubOptions = {}): Promise<FakeHub> {
    const hub = new FakeHub(opts);
    await new Promise<void>((resolve) => hub.server.listen(0, '127.0.0.1', resolve));
    return hub;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Messages of one type (optionally from one node). */
  messages<T extends NodeToHub['type']>(type: T, node?: string): Array<Extract<NodeToHub, { type: T }>> {
    return this.received
      .filter((r) => r.msg.type === type && (node === undefined || r.node === node))
      .map((r) => r.msg as Extract<NodeToHub, { type: T }>);
  }

  /** The most recent status a node reported for a pod name. */
  lastStatus(podName: string): Extract<NodeToHub, { type: 'podStatus' }>['pods'][number]['status'] | undefined {
    const all = this.messages('podStatus')
      .flatMap((m) => m.pods)
      .filter((p) => p.pod.name === podName);
    return all[all.length - 1]?.status;
  }

  /** Sets a node's desired pods and sends them as `podSync` when it is connected. */
  setPods(node: string, pods: Pod[]): void {
    this.pods.set(node, pods);
    this.send(node, { type: 'podSync', pods });
  }

  /** Sets the services and sends `serviceSync` to every node. */
  setServices(services: ServiceRoute[]): void {
    this.services = services;
    for (const node of this.sockets.keys()) this.send(node, { type: 'serviceSync', services });
  }

  /** Sends one message to a node (false when not connected). */
  send(node: string, msg: HubToNode): boolean {
    return this.sendRaw(node, encodeFrame(msg));
  }

  sendRaw(node: string, data: Buffer): boolean {
    const ws = this.sockets.get(node);
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(data);
    return true;
  }

  isConnected(node: string): boolean {
    return this.sockets.get(node)?.readyState === WebSocket.OPEN;
  }

  /** Drops every node connection (they should redial). */
  dropAll(): void {
    for (const ws of this.sockets.values()) ws.terminate();
  }

  async stop(): Promise<void> {
    this.dropAll();
    this.wss.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(ws: WebSocket): void {
    this.connections += 1;
    let node = '?';
    ws.on('message', (data: Buffer) => {
      let msg: NodeToHub;
      try {
        msg = decodeFrame(NodeToHub, data);
      } catch (err) {
        this.received.push({ node, msg: { type: 'error', message: `fake hub could not decode: ${String(err)}` } });
        return;
      }
      if (msg.type === 'hello') {
        node = msg.node.name;
        this.sockets.set(node, ws);
        this.received.push({ node, msg });
        this.send(node, {
          type: 'welcome',
          protocol: PROTOCOL_VERSION,
          nodeName: node,
          heartbeatIntervalSeconds: this.opts.heartbeatIntervalSeconds ?? 0.2,
          meshToken: this.meshToken,
        });
        this.send(node, { type: 'podSync', pods: this.pods.get(node) ?? [] });
        this.send(node, { type: 'serviceSync', services: this.services });
        return;
      }
      this.received.push({ node, msg });
    });
    ws.on('close', () => {
      if (this.sockets.get(node) === ws) this.sockets.delete(node);
    });
  }
}

/**
 * Least time a wait is given, whatever its caller asked: every wait here is for something that will
 * happen, and on a machine at load 15 (parallel unit tests beside the e2e runs) the 1–5 s the tests
 * ask for were seen to run out. A longer limit costs nothing when the condition comes.
 */
const MIN_WAIT_MS = 20_000;

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`, at least {@link MIN_WAIT_MS}). */
export async function waitFor<T>(
  check: () => T | undefined | false | null,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const limitMs = Math.max(timeoutMs, MIN_WAIT_MS);
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A minimal valid pod for tests. */
export function testPod(
  name: string,
  opts: {
    uid?: string;
    node?: string;
    image?: string;
    restartPolicy?: 'Always' | 'OnFailure' | 'Never';
    ports?: Array<{ name?: string; containerPort: number }>;
    labels?: Record<string, string>;
    env?: Pod['spec']['containers'][number]['env'];
    args?: string[];
  } = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: opts.uid ?? `uid-${name}`, labels: opts.labels ?? { app: name } },
    spec: {
      nodeName: opts.node ?? 'node-a',
      runtimeClassName: 'wasm',
      restartPolicy: opts.restartPolicy ?? 'Always',
      containers: [
        {
          name: 'main',
          image: opts.image ?? 'edgeplane.hub/hello.wasm@sha256:' + 'a'.repeat(64),
          ...(opts.ports ? { ports: opts.ports } : {}),
          ...(opts.env ? { env: opts.env } : {}),
          ...(opts.args ? { args: opts.args } : {}),
        },
      ],
    },
  };
}

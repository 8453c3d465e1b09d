/**
 * Test kit of the gateway's tests: a real hub over plain ws:// in a temporary data dir, and a raw
 * node peer over a real WebSocket that records every frame the hub sends it (and its size).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import {
  GATEWAY_PATH,
  HubToNode,
  MAX_HUB_FRAME_BYTES,
  MAX_HUB_FRAME_VALUES,
  PROTOCOL_VERSION,
  decodeFrame,
  encodeFrame,
} from '../../../api/index.js';
import type { Logger, NodeInfo, NodeToHub } from '../../../api/index.js';
import { Hub } from '../../hub.js';

/** Polls `cond` every 20 ms until it holds (a functional bound, not a timing goal). */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A node's facts for its hello. */
export function nodeInfo(name: string, meshPort = 7500): NodeInfo {
  return {
    name,
    labels: {},
    address: '10.0.0.7',
    meshPort,
    arch: 'arm64',
    os: 'linux',
    runtimes: ['wasm'],
    capacity: { cpu: '4', memory: '4Gi', pods: '110' },
    agentVersion: 'test',
  };
}

/** A raw node over a real WebSocket, with a node's maxPayload. */
export class RawNode {
  readonly frames: Array<{ msg: HubToNode; bytes: number }> = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const buf = data as Buffer;
      this.frames.push({
        msg: decodeFrame(HubToNode, buf, { maxValues: MAX_HUB_FRAME_VALUES }),
        bytes: buf.byteLength,
      });
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** Opens a socket (no hello yet). */
  static async open(url: string, token: string): Promise<RawNode> {
    const ws = new WebSocket(url.replace(/^http/, 'ws') + GATEWAY_PATH, {
      headers: { authorization: `Bearer ${token}` },
      maxPayload: MAX_HUB_FRAME_BYTES,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new RawNode(ws);
  }

  /** Opens, says hello, and waits for the welcome's Service frame (`serviceSet`, or `serviceSync` for protocol 1). */
  static async connect(
    url: string,
    token: string,
    name: string,
    opts: { protocol?: number; resume?: { epoch: string; revision: number } } = {},
  ): Promise<RawNode> {
    const node = await RawNode.open(url, token);
    const protocol = opts.protocol ?? PROTOCOL_VERSION;
    node.send({
      type: 'hello',
      protocol,
      instanceId: `instance-${name}`,
      node: nodeInfo(name),
      ...(opts.resume ? { resume: opts.resume } : {}),
    });
    const first = protocol >= 2 ? 'serviceSet' : 'serviceSync';
    await until(() => node.of(first).length > 0, `the welcome of ${name}`);
    return node;
  }

  send(msg: NodeToHub): void {
    this.ws.send(encodeFrame(msg));
  }

  of<T extends HubToNode['type']>(type: T): Array<Extract<HubToNode, { type: T }>> {
    return this.frames.filter((f) => f.msg.type === type).map((f) => f.msg as Extract<HubToNode, { type: T }>);
  }

  async close(): Promise<void> {
    this.ws.close();
    await this.closed;
  }
}

/** A real hub over plain ws:// with its data dir. */
export interface TestHub {
  hub: Hub;
  url: string;
  token: string;
  stop(): Promise<void>;
}

/** Starts a hub with these gateway options (silent, unless a test reads the hub's log). */
export async function startGatewayHub(
  gateway: NonNullable<Parameters<typeof Hub.create>[0]['gateway']> = {},
  opts: { logger?: Logger; hub?: Partial<Parameters<typeof Hub.create>[0]> } = {},
): Promise<TestHub> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gateway-kit-'));
  const hub = await Hub.create({
    dataDir: dir,
    host: '127.0.0.1',
    port: 0,
    insecureHttp: true,
    logger: opts.logger ?? pino({ level: 'silent' }),
    gateway,
    ...opts.hub,
  });
  const url = (await hub.start()).url;
  return {
    hub,
    url,
    token: hub.auth.joinToken,
    stop: async () => {
      await hub.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

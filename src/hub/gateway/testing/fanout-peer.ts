/**
 * A node of the Service stream fan-out tests (`service-fanout*.test.ts`): a real client socket whose frames
 * are applied to a `ServiceView` by the agent's rules, with each frame and its size recorded. Tests only.
 */
import { WebSocket } from 'ws';
import { HubToNode, MAX_HUB_FRAME_BYTES, MAX_HUB_FRAME_VALUES, decodeFrame } from '../../../api/index.js';
import { until } from './raw-node.js';
import { ServiceView } from './service-view.js';

/** A peer: a real client socket whose frames are applied to a `ServiceView`. */
export class Peer {
  readonly view = new ServiceView();
  readonly frames: Array<{ msg: HubToNode; bytes: number }> = [];
  readonly closed: Promise<void>;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const msg = decodeFrame(HubToNode, data, { maxValues: MAX_HUB_FRAME_VALUES });
      this.frames.push({ msg, bytes: data.byteLength });
      this.view.apply(msg);
    });
    this.closed = new Promise((resolve) => ws.on('close', () => resolve()));
  }

  /** Connects; `resume` offers a stream position, and `held` is what the agent kept from before. */
  static async connect(
    url: string,
    name: string,
    resume?: { epoch: string; revision: number },
    held?: ServiceView['routes'],
  ): Promise<Peer> {
    const q = new URLSearchParams({
      node: name,
      ...(resume ? { epoch: resume.epoch, rev: String(resume.revision) } : {}),
    });
    const ws = new WebSocket(`${url}/?${q.toString()}`, { maxPayload: MAX_HUB_FRAME_BYTES, perMessageDeflate: false });
    const peer = new Peer(ws);
    for (const [k, v] of held ?? []) peer.view.routes.set(k, v);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await until(() => peer.frames.some((f) => f.msg.type === 'serviceSet'), `the set of ${name}`);
    return peer;
  }

  /** The web Service's route as this peer holds it. */
  web(): { ports: number[]; endpoints: number; notReady: string[] } | undefined {
    const r = this.view.route('shop', 'web');
    if (!r) return undefined;
    return {
      ports: r.ports.map((p) => p.port),
      endpoints: r.endpoints.length,
      notReady: r.endpoints.filter((e) => !e.ready).map((e) => e.pod.name),
    };
  }

  async close(): Promise<void> {
    this.ws.close();
    await this.closed;
  }
}

/**
 * The hub's proxy to a node's Prometheus metrics (`GET /api/v1/nodes/{name}/proxy/metrics`), for nodes
 * behind NAT that no scraper can reach: the hub sends `metricsRequest` on the node's session and
 * answers with the exposition of its `metricsResult`. Bounded: a few requests in flight per node (a
 * scraper that fires faster than the node answers gets 429), each with a timeout.
 */
import { randomUUID } from 'node:crypto';
import type { HubToNode, NodeMetricsResult } from '../../api/index.js';
import {
  EdgeError,
  METRICS_PROTOCOL_VERSION,
  ServiceUnavailableError,
  StatusReason,
  TimeoutError,
} from '../../api/index.js';

/** Too many metrics requests to one node are in flight (429, as the API's other budgets answer). */
export class NodeMetricsBusyError extends EdgeError {
  constructor(message: string) {
    super(StatusReason.TooManyRequests, 429, message, { retryable: true });
  }
}

/** The part of a node session the proxy uses. */
export interface MetricsSession {
  readonly protocol: number;
  readonly open: boolean;
  send(msg: HubToNode): void;
}

/** Dependencies and limits of {@link NodeMetricsProxy}. */
export interface NodeMetricsProxyOptions {
  /** The live session of a node, if it has one. */
  sessionOf(node: string): MetricsSession | undefined;
  /** How long a node has to answer (default 10 s, Prometheus' default scrape timeout). */
  timeoutMs?: number;
  /** Requests in flight per node (default 4). */
  maxPerNode?: number;
}

/** A node's exposition. */
export interface NodeExposition {
  body: string;
  contentType: string;
}

interface Pending {
  node: string;
  resolve(e: NodeExposition): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** Prometheus' text format, what a node's prom-client registry serves. */
const TEXT_FORMAT = 'text/plain; version=0.0.4; charset=utf-8';

/** Fetches nodes' metrics over their gateway sessions. */
export class NodeMetricsProxy {
  readonly #pending = new Map<string, Pending>();
  readonly #perNode = new Map<string, number>();
  readonly #timeoutMs: number;
  readonly #maxPerNode: number;

  constructor(private readonly opts: NodeMetricsProxyOptions) {
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#maxPerNode = opts.maxPerNode ?? 4;
  }

  /** The node's exposition; ServiceUnavailable when it is not connected, Timeout when it does not answer. */
  fetch(node: string): Promise<NodeExposition> {
    const session = this.opts.sessionOf(node);
    if (!session?.open) return Promise.reject(new ServiceUnavailableError(`node ${node} is not connected to the hub`));
    if (session.protocol < METRICS_PROTOCOL_VERSION)
      return Promise.reject(
        new ServiceUnavailableError(
          `node ${node} speaks gateway protocol ${session.protocol}; serving its metrics needs protocol ${METRICS_PROTOCOL_VERSION} (upgrade the agent)`,
        ),
      );
    const inFlight = this.#perNode.get(node) ?? 0;
    if (inFlight >= this.#maxPerNode)
      return Promise.reject(
        new NodeMetricsBusyError(`${inFlight} metrics requests to node ${node} are in flight already; retry later`),
      );
    const requestId = randomUUID();
    this.#perNode.set(node, inFlight + 1);
    return new Promise<NodeExposition>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#settle(requestId);
        reject(
          new TimeoutError(
            `node ${node} did not answer the metrics request within ${Math.round(this.#timeoutMs / 1000)} s`,
          ),
        );
      }, this.#timeoutMs);
      timer.unref();
      this.#pending.set(requestId, { node, resolve, reject, timer });
      session.send({ type: 'metricsRequest', requestId });
    });
  }

  /** A node's answer; one for another node's or an unknown request is ignored. */
  result(node: string, msg: NodeMetricsResult): void {
    const p = this.#pending.get(msg.requestId);
    if (!p || p.node !== node) return;
    this.#settle(msg.requestId);
    if (msg.error !== undefined || msg.body === undefined)
      p.reject(new ServiceUnavailableError(`node ${node} could not serve its metrics: ${msg.error ?? 'no body'}`));
    else p.resolve({ body: msg.body, contentType: msg.contentType ?? TEXT_FORMAT });
  }

  /** Fails the requests to a node whose session closed. */
  disconnected(node: string): void {
    for (const [id, p] of this.#pending) {
      if (p.node !== node) continue;
      this.#settle(id);
      p.reject(new ServiceUnavailableError(`node ${node} disconnected before answering the metrics request`));
    }
  }

  #settle(id: string): void {
    const p = this.#pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    this.#pending.delete(id);
    const left = (this.#perNode.get(p.node) ?? 1) - 1;
    if (left <= 0) this.#perNode.delete(p.node);
    else this.#perNode.set(p.node, left);
  }
}

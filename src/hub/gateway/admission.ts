/**
 * Admission of a node that said hello. A node name is held by one agent process at a time: a second
 * connection for a name whose session still answers a ping is refused (a copied data dir or cloned
 * SD card must not run the pods twice); a reconnect of the same process (same instance id) or a
 * newcomer replacing a dead session gets in. Hellos of one name are admitted one at a time.
 *
 * Admission is bounded (a hub restart brings every node back at once): at most
 * `maxConcurrent` registrations run at a time, up to `maxQueued` more wait their turn, and past that
 * a node is told `Busy` with a jittered `retryAfterMs` (protocol 2; older nodes get close code 1013,
 * "try again later", and their own back-off) instead of joining a thundering herd.
 */
import type { Logger, Node, NodeInfo, NodeToHub } from '../../api/index.js';
import { MIN_PROTOCOL_VERSION, POD_RESUME_PROTOCOL, PROTOCOL_VERSION, errorMessage } from '../../api/index.js';
import { AdmissionSlots, type AdmissionLimits } from './admission-slots.js';
import type { NodeLifecycleController } from '../controllers/index.js';
import type { Informer } from '../informers/index.js';
import type { EventRecorder } from '../reconcile/index.js';
import type { ObjectAPI } from '../registry/index.js';
import { registerNode, reportedStatus } from './node-registration.js';
import { CLOSE_DUPLICATE_NODE, type NodeSession } from './session.js';

/** What admission reads and writes; `sessions` is the gateway's map of live sessions by node name. */
export interface NodeAdmissionDeps {
  api: ObjectAPI;
  nodes: Informer<Node>;
  lifecycle: NodeLifecycleController;
  /** Records the gateway's own Events (DuplicateNodeRejected). */
  events: EventRecorder;
  logger: Logger;
  sessions: Map<string, NodeSession>;
  /** How long a live session gets to answer a ping before a newcomer takes its name (default 3 s). */
  duplicateCheckTimeoutMs?: number;
  /** Called once a session holds its node's name (the gateway then sends the welcome and the sync). */
  onAdmitted: (session: NodeSession, info: NodeInfo) => void;
  /** Bounds of concurrent admission (defaults: 64 at once, 2048 waiting). */
  limits?: Partial<AdmissionLimits>;
}

/** Close code of a hello refused because the hub admits too many nodes at once (RFC 6455 "Try Again Later"). */
export const CLOSE_TRY_AGAIN_LATER = 1013;

/** Admits nodes: protocol check, duplicate-name check, registration, Ready. */
export class NodeAdmission {
  readonly #deps: NodeAdmissionDeps;
  /** Hellos of one node name are admitted one at a time (the duplicate check awaits a ping). */
  readonly #admissions = new Map<string, Promise<void>>();
  readonly #slots: AdmissionSlots;

  constructor(deps: NodeAdmissionDeps) {
    this.#deps = deps;
    this.#slots = new AdmissionSlots(deps.limits);
  }

  /** Handles a session's `hello`. */
  async hello(session: NodeSession, msg: Extract<NodeToHub, { type: 'hello' }>): Promise<void> {
    if (session.helloReceived) return session.fail('hello sent twice');
    session.helloReceived = true;
    if (msg.protocol < MIN_PROTOCOL_VERSION || msg.protocol > PROTOCOL_VERSION)
      return session.fail(
        `protocol version ${msg.protocol} is not supported (hub speaks ${MIN_PROTOCOL_VERSION} to ${PROTOCOL_VERSION})`,
      );
    session.protocol = msg.protocol;
    session.resume = msg.protocol >= 2 ? msg.resume : undefined;
    session.podPosition = msg.protocol >= POD_RESUME_PROTOCOL ? msg.pods : undefined;
    // A node whose certificate the handshake verified (the gateway checked the hello names it) proves it
    // is alive by dialing: while admission makes it wait, it is not silent (`controllers/node-liveness.ts`).
    const certified = session.certifiedName;
    const slot = this.#slots.acquire();
    if ('retryAfterMs' in slot) {
      // Told when to come back (protocol 2): its silence is excused until then. Older nodes pick their own delay.
      if (certified !== undefined)
        this.#deps.lifecycle.sighted(certified, session.protocol >= 2 ? slot.retryAfterMs : 0);
      return this.#refuseBusy(session, slot.retryAfterMs);
    }
    const waited =
      certified === undefined ? undefined : this.#deps.lifecycle.awaitingAdmission(certified, () => session.open);
    try {
      await slot.ready;
      waited?.();
      await this.#helloAdmitted(session, msg);
    } finally {
      waited?.();
      slot.release();
    }
  }

  async #helloAdmitted(session: NodeSession, msg: Extract<NodeToHub, { type: 'hello' }>): Promise<void> {
    session.instanceId = msg.instanceId;
    session.reportedAddress = msg.node.address;
    const name = msg.node.name;
    const admitted = (this.#admissions.get(name) ?? Promise.resolve()).then(() => this.#admit(session, msg.node));
    const tail = admitted.catch(() => undefined);
    this.#admissions.set(name, tail);
    void tail.then(() => {
      if (this.#admissions.get(name) === tail) this.#admissions.delete(name);
    });
    await admitted;
  }

  /** Admits a node that said hello, unless another live agent holds its name. */
  async #admit(session: NodeSession, info: NodeInfo): Promise<void> {
    const { sessions, logger } = this.#deps;
    if (!session.open) return;
    const previous = sessions.get(info.name);
    if (previous && previous !== session) {
      const sameProcess = previous.instanceId !== undefined && previous.instanceId === session.instanceId;
      // Checked before registering, so a refused newcomer never overwrites the Node's addresses.
      if (!sameProcess && (await previous.probe(this.#deps.duplicateCheckTimeoutMs ?? 3000)))
        return this.#refuseDuplicate(session, previous, info);
      // The same agent redialing after a blip, or a session that no longer answers: the newcomer takes over.
      logger.info({ node: info.name, sameProcess }, 'replacing a stale session of the node');
      previous.terminate();
      if (!session.open) return;
    }
    let node: Node;
    try {
      node = await registerNode(this.#deps.api, this.#deps.nodes, info);
    } catch (err) {
      return session.fail(`node registration refused: ${errorMessage(err)}`);
    }
    if (!session.open) return;
    session.nodeName = info.name;
    sessions.set(info.name, session);
    // The reported status goes with the Ready condition: one status write on a first hello. Refused
    // (invalid, or lost every race), the hello fails as a refused registration does.
    try {
      await this.#deps.lifecycle.markReady(node, reportedStatus(info));
    } catch (err) {
      return session.fail(`node registration refused: ${errorMessage(err)}`);
    }
    logger.info({ node: info.name, address: info.address }, 'node connected');
    this.#deps.onAdmitted(session, info);
  }

  #refuseBusy(session: NodeSession, retryAfterMs: number): void {
    const message = `the hub is admitting too many nodes at once; retry in ${Math.round(retryAfterMs / 1000)} s`;
    if (session.protocol >= 2) session.fail(message, CLOSE_TRY_AGAIN_LATER, 'Busy', retryAfterMs);
    else session.fail(message, CLOSE_TRY_AGAIN_LATER);
  }

  #refuseDuplicate(session: NodeSession, previous: NodeSession, info: NodeInfo): void {
    const where = `${previous.reportedAddress ?? 'unknown address'} (peer ${previous.remoteAddress})`;
    const message = `node name ${info.name} is already connected from ${where}; is this a copy of another node's data dir?`;
    this.#deps.logger.warn(
      {
        node: info.name,
        connectedFrom: previous.remoteAddress,
        refusedFrom: session.remoteAddress,
        refusedAddress: info.address,
      },
      'refused a second connection for a connected node name (DuplicateNodeRejected)',
    );
    const node = this.#deps.nodes.get(undefined, info.name);
    if (node) {
      const detail = `${message} Refused the connection from ${session.remoteAddress} (reported address ${info.address}).`;
      void this.#deps.events.record(node, 'Warning', 'DuplicateNodeRejected', detail);
    }
    session.fail(message, CLOSE_DUPLICATE_NODE, 'DuplicateNode');
  }
}

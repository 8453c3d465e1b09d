/**
 * Service node-port allocation: unique across all Services, within NODE_PORT_RANGE. Callers
 * serialise Service writes through `NodePortAllocator.exclusive` so two creates cannot pick the
 * same free port between reading the used set and writing.
 *
 * Gateway listeners are served on every node's address like node ports, so a port a served
 * (`Programmed`) listener holds is refused to a Service that asks for it, naming the Gateway, and
 * never allocated. The other way round, a listener on a port a Service holds is the route
 * controller's to refuse (`PortUnavailable`): together, whoever held the port first keeps it.
 */
import type { FieldCause, Gateway, Service, ServicePort } from '../../api/index.js';
import { typeByKind } from '../../api/index.js';
import type { Store } from '../store/index.js';
import { NODE_PORT_RANGE } from './checks.js';
import { collectionPrefix } from './keys.js';

const GATEWAYS = collectionPrefix(typeByKind('gateway.networking.k8s.io/v1', 'Gateway')!);

export class NodePortAllocator {
  readonly #store: Store;
  readonly #random: () => number;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(store: Store, random: () => number = Math.random) {
    this.#store = store;
    this.#random = random;
  }

  /** Runs `fn` after every earlier `exclusive` call has settled. */
  exclusive<R>(fn: () => Promise<R>): Promise<R> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Returns `svc` with node ports assigned: requested ones checked for collisions, missing ones
   * kept from `current` (same port) or allocated. Causes name the colliding fields.
   */
  async assign(
    key: string,
    svc: Service,
    current: Service | undefined,
  ): Promise<{ service: Service; causes: FieldCause[] }> {
    if (svc.spec.type !== 'NodePort') return { service: svc, causes: [] };
    const used = await this.#usedPorts(key);
    const gateways = await this.#gatewayPorts();
    const causes: FieldCause[] = [];
    const had = new Set((current?.spec.ports ?? []).map((p) => p.nodePort));
    for (const port of gateways.keys()) used.add(port);
    const ports: ServicePort[] = svc.spec.ports.map((p, i) => {
      const gateway = p.nodePort !== undefined && !had.has(p.nodePort) ? gateways.get(p.nodePort) : undefined;
      if (gateway !== undefined) {
        causes.push({
          field: `spec.ports[${i}].nodePort`,
          message: `Invalid value: ${p.nodePort}: provided port is served by Gateway ${gateway}`,
          reason: 'FieldValueInvalid',
        });
        return p;
      }
      if (p.nodePort !== undefined) {
        if (used.has(p.nodePort) && !gateways.has(p.nodePort))
          causes.push({
            field: `spec.ports[${i}].nodePort`,
            message: `Invalid value: ${p.nodePort}: provided port is already allocated`,
            reason: 'FieldValueInvalid',
          });
        used.add(p.nodePort);
        return p;
      }
      const kept = current?.spec.ports.find((c) => c.port === p.port && c.name === p.name)?.nodePort;
      const nodePort = kept !== undefined && !used.has(kept) ? kept : this.#pick(used);
      if (nodePort === undefined) {
        causes.push({
          field: `spec.ports[${i}].nodePort`,
          message: 'no free node port left in range',
          reason: 'FieldValueInvalid',
        });
        return p;
      }
      used.add(nodePort);
      return { ...p, nodePort };
    });
    return { service: { ...svc, spec: { ...svc.spec, ports } }, causes };
  }

  async #usedPorts(exceptKey: string): Promise<Set<number>> {
    const used = new Set<number>();
    for (const item of (await this.#store.list('/registry/services/')).items) {
      if (item.key === exceptKey) continue;
      for (const p of (item.value as Service).spec.ports) if (p.nodePort !== undefined) used.add(p.nodePort);
    }
    return used;
  }

  /** Ports of served Gateway listeners → `namespace/name (listener L)` of the Gateway. */
  async #gatewayPorts(): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    for (const item of (await this.#store.list(GATEWAYS)).items) {
      const gw = item.value as Gateway;
      for (const l of gw.spec.listeners) {
        const st = gw.status?.listeners?.find((x) => x.name === l.name);
        if (st?.conditions?.some((c) => c.type === 'Programmed' && c.status === 'True') && !out.has(l.port))
          out.set(l.port, `${gw.metadata.namespace ?? 'default'}/${gw.metadata.name ?? ''} (listener ${l.name})`);
      }
    }
    return out;
  }

  #pick(used: Set<number>): number | undefined {
    const size = NODE_PORT_RANGE.max - NODE_PORT_RANGE.min + 1;
    const start = Math.floor(this.#random() * size);
    for (let i = 0; i < size; i++) {
      const port = NODE_PORT_RANGE.min + ((start + i) % size);
      if (!used.has(port)) return port;
    }
    return undefined;
  }
}

/**
 * Pod networking of the daemonless adapter: each pod gets a network namespace of its own
 * (`ip netns add`), with a veth pair whose outer end joins the node's bridge and whose inner end is
 * the pod's `eth0`, addressed from the node's range; the bridge holds the range's first address and
 * is the pods' default route, so the node reaches every pod directly. The containers of one pod share
 * its namespace; it goes when the last of them is removed.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { errorMessage } from '../../api/index.js';
import type { Logger } from '../../api/index.js';
import { runCommand } from '../command.js';
import { Ipam, parseCidr } from './ipam.js';

/** Dependencies of {@link PodNetwork.create}. */
export interface PodNetworkDeps {
  /** Bridge device name (created when missing), at most 15 characters. */
  bridge: string;
  /** The node's pod address range, e.g. `10.88.0.0/24`. */
  cidr: string;
  logger: Logger;
  /** The `ip` binary (default `ip`). */
  ipPath?: string;
}

/** A pod's network namespace. */
export interface PodAttachment {
  /** `/var/run/netns/<name>`: what a container's config joins. */
  netnsPath: string;
  netnsName: string;
  /** The pod's address. */
  ip: string;
}

const NETNS_DIR = '/var/run/netns';

/** The node's pod network. */
export class PodNetwork {
  readonly #pods = new Map<string, { attachment: Promise<PodAttachment>; refs: number }>();
  readonly #prefix: string;

  private constructor(
    private readonly deps: PodNetworkDeps,
    private readonly ipam: Ipam,
    private readonly ip: string,
  ) {
    // Namespaces are named after the bridge, so nodes sharing a machine never sweep each other's.
    this.#prefix = `edge-${deps.bridge}-`;
  }

  /** Validates the range and makes sure the bridge exists, holds the gateway address and is up. */
  static async create(deps: PodNetworkDeps): Promise<PodNetwork> {
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(deps.bridge))
      throw new Error(`bridge name "${deps.bridge}" must be 1..15 letters, digits, '.', '_' or '-'`);
    const ipam = new Ipam(parseCidr(deps.cidr));
    const ip = deps.ipPath ?? 'ip';
    const exists = (await runCommand(ip, ['link', 'show', 'dev', deps.bridge], { allowFailure: true })).code === 0;
    if (!exists) await runCommand(ip, ['link', 'add', 'name', deps.bridge, 'type', 'bridge']);
    const addrs = await runCommand(ip, ['-4', '-o', 'addr', 'show', 'dev', deps.bridge]);
    const gw = `${ipam.gateway}/${ipam.range.prefix}`;
    if (!addrs.stdout.includes(` ${gw} `)) await runCommand(ip, ['addr', 'add', gw, 'dev', deps.bridge]);
    await runCommand(ip, ['link', 'set', deps.bridge, 'up']);
    return new PodNetwork(deps, ipam, ip);
  }

  /** The bridge's address: the pods' default route, and where they reach the node. */
  get gateway(): string {
    return this.ipam.gateway;
  }

  /** The pod's namespace, created on first use; each call must be paired with a {@link detach}. */
  async attach(podUid: string): Promise<PodAttachment> {
    const held = this.#pods.get(podUid);
    if (held) {
      held.refs += 1;
      return held.attachment;
    }
    const entry = { attachment: this.#setUp(podUid), refs: 1 };
    this.#pods.set(podUid, entry);
    entry.attachment.catch(() => {
      if (this.#pods.get(podUid) === entry) this.#pods.delete(podUid);
    });
    return entry.attachment;
  }

  /**
   * Holds again the namespace of a pod whose container an earlier run of the agent left running (the
   * namespace and its address are as that run set them up); paired with a {@link detach} as `attach` is.
   */
  adopt(podUid: string, ip: string): Promise<void> {
    const held = this.#pods.get(podUid);
    if (held) {
      held.refs += 1;
      return Promise.resolve();
    }
    const netnsName = this.#nameOf(podUid);
    if (!existsSync(`${NETNS_DIR}/${netnsName}`))
      return Promise.reject(new Error(`the network namespace ${netnsName} is gone`));
    try {
      this.ipam.reserve(podUid, ip);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    this.#pods.set(podUid, {
      attachment: Promise.resolve({ netnsPath: `${NETNS_DIR}/${netnsName}`, netnsName, ip }),
      refs: 1,
    });
    return Promise.resolve();
  }

  /** Drops one reference; the last one deletes the namespace (and with it the veth pair). */
  async detach(podUid: string): Promise<void> {
    const held = this.#pods.get(podUid);
    if (!held) return;
    if (--held.refs > 0) return;
    this.#pods.delete(podUid);
    const att = await held.attachment.catch(() => undefined);
    if (!att) return;
    await runCommand(this.ip, ['netns', 'del', att.netnsName], { allowFailure: true });
    this.ipam.release(podUid);
  }

  /** Deletes every namespace of this node's bridge that no pod holds (left by an earlier run). */
  async sweep(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(NETNS_DIR);
    } catch {
      return;
    }
    const live = new Set([...this.#pods.keys()].map((uid) => this.#nameOf(uid)));
    for (const name of names) {
      if (!name.startsWith(this.#prefix) || live.has(name)) continue;
      await runCommand(this.ip, ['netns', 'del', name], { allowFailure: true });
      this.deps.logger.info({ netns: name }, 'removed a leftover pod network namespace');
    }
  }

  #nameOf(podUid: string): string {
    return `${this.#prefix}${podUid.replace(/[^A-Za-z0-9-]/g, '').slice(0, 36)}`;
  }

  async #setUp(podUid: string): Promise<PodAttachment> {
    const netnsName = this.#nameOf(podUid);
    const veth = `ve${createHash('sha256').update(netnsName).digest('hex').slice(0, 11)}`;
    const addr = this.ipam.allocate(podUid);
    const ip = this.ip;
    try {
      if (existsSync(`${NETNS_DIR}/${netnsName}`))
        await runCommand(ip, ['netns', 'del', netnsName], { allowFailure: true });
      // Two batches (the node's side, the pod's side): each `ip` spawn costs milliseconds.
      await runCommand(ip, ['-batch', '-'], {
        input: [
          `netns add ${netnsName}`,
          `link add ${veth} type veth peer name eth0 netns ${netnsName}`,
          `link set ${veth} master ${this.deps.bridge} up`,
        ].join('\n'),
      });
      await runCommand(ip, ['-n', netnsName, '-batch', '-'], {
        input: [
          `addr add ${addr}/${this.ipam.range.prefix} dev eth0`,
          'link set eth0 up',
          'link set lo up',
          `route add default via ${this.ipam.gateway}`,
        ].join('\n'),
      });
    } catch (err) {
      await runCommand(ip, ['netns', 'del', netnsName], { allowFailure: true });
      await runCommand(ip, ['link', 'del', veth], { allowFailure: true });
      this.ipam.release(podUid);
      throw new Error(`cannot set up the network of pod ${podUid}: ${errorMessage(err)}`, { cause: err });
    }
    return { netnsPath: `${NETNS_DIR}/${netnsName}`, netnsName, ip: addr };
  }
}

/**
 * ConfigMaps and Secrets to nodes (issue 15): each node gets exactly the objects its bound pods
 * reference (volumes, env refs, envFrom, imagePullSecrets) and nothing else. On connect the whole set
 * (`configSync`, before `podSync`); then `configUpsert` when a needed object changes or becomes needed
 * — before the pod frame that needs it — and `configDelete` when no pod of the node needs it any more
 * or it is deleted. A referenced object that does not exist is simply not sent: the node waits
 * (`CreateContainerConfigError`) until it is created, which sends it.
 *
 * Needs are kept incrementally: what each pod references, and per object the nodes needing it with a
 * count of their pods; a change of one pod or one object touches only its own entries, never a scan
 * of all pods. Values cross only the node's own session, as bytes; none is ever logged.
 */
import type { ConfigMap, ConfigObject, HubToNode, Logger, Pod, Secret } from '../../api/index.js';
import { MAX_HUB_FRAME_BYTES, MAX_SYNC_CONFIG_OBJECTS, encodeFrame, errorMessage } from '../../api/index.js';
import { configKey, podConfigKeys, type ConfigKind } from '../config/index.js';
import type { Informer } from '../informers/index.js';

/** Where frames for a node go (its live session, if any). */
export interface ConfigSink {
  send(msg: HubToNode): void;
  sendFrame(frame: Buffer): void;
}

export interface ConfigDeliveryDeps {
  configMaps: Informer<ConfigMap>;
  secrets: Informer<Secret>;
  sessionOf(node: string): ConfigSink | undefined;
  logger: Logger;
  /** Bytes of one `configSync` part (default: the frame bound a node accepts). */
  maxFrameBytes?: number;
}

/** The wire form of a ConfigMap: `data` as UTF-8 bytes and `binaryData` decoded. */
export function configMapObject(cm: ConfigMap): ConfigObject {
  const data: ConfigObject['data'] = {};
  for (const [k, v] of Object.entries(cm.data ?? {})) data[k] = Buffer.from(v, 'utf8');
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) data[k] = Buffer.from(v, 'base64');
  return { kind: 'ConfigMap', ...identity(cm), data };
}

/** The wire form of a Secret: `data` decoded from base64, with its type. */
export function secretObject(s: Secret): ConfigObject {
  const data: ConfigObject['data'] = {};
  for (const [k, v] of Object.entries(s.data ?? {})) data[k] = Buffer.from(v, 'base64');
  return { kind: 'Secret', ...identity(s), ...(s.type !== undefined ? { secretType: s.type } : {}), data };
}

function identity(o: ConfigMap | Secret): Pick<ConfigObject, 'namespace' | 'name' | 'uid' | 'resourceVersion'> {
  return {
    namespace: o.metadata.namespace ?? 'default',
    name: o.metadata.name ?? '',
    uid: o.metadata.uid ?? '',
    resourceVersion: o.metadata.resourceVersion ?? '',
  };
}

const podKey = (p: Pod): string => `${p.metadata.namespace ?? 'default'}/${p.metadata.name ?? ''}`;

/** Keeps which node needs which ConfigMap/Secret and sends each node its own. */
export class ConfigDelivery {
  /** Pod → its node and the objects it references. */
  private readonly pods = new Map<string, { node: string; keys: string[] }>();
  /** Object key → node → how many of the node's pods reference it. */
  private readonly needs = new Map<string, Map<string, number>>();

  constructor(private readonly deps: ConfigDeliveryDeps) {
    const changed = (kind: ConfigKind) => (o: ConfigMap | Secret) => this.objectChanged(kind, o);
    const deleted = (kind: ConfigKind) => (o: ConfigMap | Secret) => this.objectDeleted(kind, o);
    deps.configMaps.addHandler({
      onAdd: changed('ConfigMap'),
      onUpdate: (_o, n) => changed('ConfigMap')(n),
      onDelete: deleted('ConfigMap'),
    });
    deps.secrets.addHandler({
      onAdd: changed('Secret'),
      onUpdate: (_o, n) => changed('Secret')(n),
      onDelete: deleted('Secret'),
    });
  }

  /** The nodes whose pods reference object `key` (`ConfigMap/<ns>/<name>`), for tests and diagnostics. */
  nodesNeeding(key: string): string[] {
    return [...(this.needs.get(key)?.keys() ?? [])];
  }

  /**
   * Records what `pod` needs now; call before its own frame is sent, so a newly needed object reaches
   * the node first. Objects its node no longer needs are deleted there.
   */
  podChanged(pod: Pod): void {
    this.guard(pod, () => {
      const node = pod.spec.nodeName;
      const keys = node ? podConfigKeys(pod.metadata.namespace ?? 'default', pod.spec) : [];
      const key = podKey(pod);
      const prev = this.pods.get(key);
      if (prev && prev.node === node && sameKeys(prev.keys, keys)) return;
      if (node && keys.length > 0) this.pods.set(key, { node, keys });
      else this.pods.delete(key);
      if (node) for (const k of keys) this.addNeed(k, node);
      if (prev) for (const k of prev.keys) this.dropNeed(k, prev.node);
    });
  }

  /** Forgets a deleted pod; what only it needed is deleted from its node. */
  podDeleted(pod: Pod): void {
    this.guard(pod, () => {
      const key = podKey(pod);
      const prev = this.pods.get(key);
      if (!prev) return;
      this.pods.delete(key);
      for (const k of prev.keys) this.dropNeed(k, prev.node);
    });
  }

  /** The `configSync` frames of `node`'s whole needed set (at least one, so an empty set clears the node). */
  syncFrames(node: string): Buffer[] {
    const objects: ConfigObject[] = [];
    for (const [key, nodes] of this.needs) {
      if (!nodes.has(node)) continue;
      const obj = this.current(key);
      if (obj) objects.push(obj);
    }
    const maxBytes = this.deps.maxFrameBytes ?? MAX_HUB_FRAME_BYTES;
    const frames: Buffer[] = [];
    let part: ConfigObject[] = [];
    let bytes = 0;
    const flush = (more: boolean): void => {
      frames.push(encodeFrame({ type: 'configSync', objects: part, ...(more ? { more: true } : {}) }));
      part = [];
      bytes = 0;
    };
    for (const obj of objects) {
      // Each object is at most 1 MiB of data; its encoding plus the envelope stays far below a frame.
      const size = encodeFrame(obj).byteLength;
      if (part.length > 0 && (bytes + size + 64 > maxBytes || part.length >= MAX_SYNC_CONFIG_OBJECTS)) flush(true);
      part.push(obj);
      bytes += size;
    }
    flush(false);
    return frames;
  }

  private addNeed(key: string, node: string): void {
    let nodes = this.needs.get(key);
    if (!nodes) this.needs.set(key, (nodes = new Map<string, number>()));
    const n = nodes.get(node) ?? 0;
    nodes.set(node, n + 1);
    if (n > 0) return;
    const obj = this.current(key);
    if (obj) this.deps.sessionOf(node)?.send({ type: 'configUpsert', object: obj });
  }

  private dropNeed(key: string, node: string): void {
    const nodes = this.needs.get(key);
    const n = nodes?.get(node) ?? 0;
    if (!nodes || n === 0) return;
    if (n > 1) return void nodes.set(node, n - 1);
    nodes.delete(node);
    if (nodes.size === 0) this.needs.delete(key);
    const [kind, namespace, name] = splitKey(key);
    this.deps.sessionOf(node)?.send({ type: 'configDelete', kind, namespace, name });
  }

  private current(key: string): ConfigObject | undefined {
    const [kind, namespace, name] = splitKey(key);
    if (kind === 'ConfigMap') {
      const cm = this.deps.configMaps.get(namespace, name);
      return cm && configMapObject(cm);
    }
    const s = this.deps.secrets.get(namespace, name);
    return s && secretObject(s);
  }

  private objectChanged(kind: ConfigKind, o: ConfigMap | Secret): void {
    const key = configKey(kind, o.metadata.namespace ?? 'default', o.metadata.name ?? '');
    const nodes = this.needs.get(key);
    if (!nodes) return;
    const object = kind === 'ConfigMap' ? configMapObject(o as ConfigMap) : secretObject(o as Secret);
    const frame = encodeFrame({ type: 'configUpsert', object });
    for (const node of nodes.keys()) this.deps.sessionOf(node)?.sendFrame(frame);
  }

  private objectDeleted(kind: ConfigKind, o: ConfigMap | Secret): void {
    const namespace = o.metadata.namespace ?? 'default';
    const name = o.metadata.name ?? '';
    const nodes = this.needs.get(configKey(kind, namespace, name));
    // The need stays (the pods still reference it): a re-created object is sent again.
    for (const node of nodes?.keys() ?? [])
      this.deps.sessionOf(node)?.send({ type: 'configDelete', kind, namespace, name });
  }

  /** A failure here must not stop the pod's own frame (the informer runs handlers in one try). */
  private guard(pod: Pod, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.deps.logger.error({ pod: podKey(pod), err: errorMessage(err) }, 'config delivery bookkeeping failed');
    }
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

function splitKey(key: string): [ConfigKind, string, string] {
  const [kind, namespace, ...rest] = key.split('/');
  return [kind as ConfigKind, namespace ?? '', rest.join('/')];
}

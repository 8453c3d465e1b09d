/**
 * The shop example (examples/wasm-apps/shop) as end-to-end tests and benchmarks deploy it: its three
 * components built from source, and shop.yaml with the images as absolute paths and the replicas
 * placed where a test wants them. Also the shape of the frontend's `/api/shop` answer.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT } from './cluster.js';

export const SHOP_DIR = join(ROOT, 'examples/wasm-apps/shop');
export const SHOP_COMPONENTS = ['frontend', 'catalog', 'cart'] as const;
export type ShopComponent = (typeof SHOP_COMPONENTS)[number];
/** The frontend's nodePort in shop.yaml. */
export const SHOP_NODE_PORT = 30088;

/** The built component of `c`. */
export const shopImage = (c: ShopComponent): string => join(SHOP_DIR, c, 'dist', `${c}.wasm`);

/**
 * Builds the three components (cached by the build script). Run from the repository root, so that
 * their `../lib/http.js` import resolves whatever the caller's working directory.
 */
export function buildShop(): void {
  execFileSync(
    process.execPath,
    [join(ROOT, 'scripts/build-examples.mjs'), ...SHOP_COMPONENTS.map((c) => join(SHOP_DIR, c))],
    { cwd: ROOT, stdio: 'pipe' },
  );
}

/** Who answered one part of a request, and when by its own clock. */
export interface ShopPart {
  pod: string;
  node: string;
  servedAt: number;
}
/** The frontend's `/api/shop` answer. */
export interface ShopDoc extends ShopPart {
  catalog: ShopPart & { currency: string; items: Array<{ sku: string; name: string; price: number }> };
  cart: ShopPart & { total: number; catalog: ShopPart };
}

/** The part of a probe the tests adjust. */
interface Probe {
  timeoutSeconds?: number;
}

/**
 * Probe timeout in the tests: the default 1 s is missed by a loaded CI machine (the shop went unready
 * at load 19), which tests the machine, not the mesh.
 */
export const TEST_PROBE_TIMEOUT_SECONDS = 5;

/** A manifest document (the fields the helpers touch). */
export interface ManifestDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    replicas?: number;
    selector?: Record<string, unknown>;
    template?: {
      metadata: { labels: Record<string, string> };
      spec: {
        nodeSelector?: Record<string, string>;
        containers: Array<{ image: string; readinessProbe?: Probe; livenessProbe?: Probe }>;
      };
    };
    type?: string;
    ports?: Array<Record<string, unknown>>;
  };
}

export interface ShopPlacement {
  /** A nodeSelector per component. */
  nodeSelector?: Partial<Record<ShopComponent, Record<string, string>>>;
  replicas?: Partial<Record<ShopComponent, number>>;
}

/** shop.yaml's documents, images as absolute paths, with `placement` applied. */
export function shopDocs(placement: ShopPlacement = {}): ManifestDoc[] {
  const docs = parseAllDocuments(readFileSync(join(SHOP_DIR, 'shop.yaml'), 'utf8')).map(
    (d) => d.toJSON() as ManifestDoc,
  );
  for (const d of docs) {
    if (d.kind !== 'Deployment') continue; // the ConfigMaps have no spec
    const pod = d.spec.template?.spec;
    if (!pod) continue;
    const c = d.metadata.name as ShopComponent;
    for (const container of pod.containers) {
      container.image = join(SHOP_DIR, container.image);
      for (const probe of [container.readinessProbe, container.livenessProbe])
        if (probe) probe.timeoutSeconds ??= TEST_PROBE_TIMEOUT_SECONDS;
    }
    const selector = placement.nodeSelector?.[c];
    if (selector) pod.nodeSelector = selector;
    const replicas = placement.replicas?.[c];
    if (replicas !== undefined) d.spec.replicas = replicas;
  }
  return docs;
}

/**
 * A copy of a component's Deployment and Service under another name (its own `app` label), e.g. a
 * second catalog on another node: `{nodePort}` makes its Service a NodePort, else it is in-mesh only.
 */
export function shopCopy(
  docs: ManifestDoc[],
  of: ShopComponent,
  name: string,
  opts: { nodeSelector?: Record<string, string>; replicas?: number; nodePort?: number } = {},
): ManifestDoc[] {
  const dep = structuredClone(docs.find((d) => d.kind === 'Deployment' && d.metadata.name === of));
  const svc = structuredClone(docs.find((d) => d.kind === 'Service' && d.metadata.name === of));
  if (!dep?.spec.template || !svc) throw new Error(`shop.yaml has no Deployment and Service "${of}"`);
  dep.metadata = { name, labels: { app: name } };
  dep.spec.selector = { matchLabels: { app: name } };
  dep.spec.template.metadata.labels = { app: name };
  if (opts.nodeSelector) dep.spec.template.spec.nodeSelector = opts.nodeSelector;
  if (opts.replicas !== undefined) dep.spec.replicas = opts.replicas;
  svc.metadata = { name };
  svc.spec.selector = { app: name };
  svc.spec.type = opts.nodePort === undefined ? 'ClusterIP' : 'NodePort';
  svc.spec.ports = (svc.spec.ports ?? []).map((p) => ({
    ...p,
    ...(opts.nodePort === undefined ? {} : { nodePort: opts.nodePort }),
  }));
  return [dep, svc];
}

/** Documents as `edgectl apply -f -` takes them (JSON is YAML). */
export const applyText = (docs: object[]): string => docs.map((d) => JSON.stringify(d)).join('\n---\n');

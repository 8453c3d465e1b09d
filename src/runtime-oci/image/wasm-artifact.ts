/**
 * Wasm components published as OCI artifacts (the CNCF Wasm OCI artifact layout: an image manifest
 * whose config has media type `application/vnd.wasm.config.v0+json` and whose one layer is the
 * component, `application/wasm`), pulled with the same registry client as container images, so a
 * Wasm pod's `image: registry.example/app:1.0` works.
 */
import { ImagePullError } from '../../api/index.js';
import type { RegistryAuth } from '../adapter.js';
import { MediaType, type Descriptor, type ImageIndex } from './manifest.js';
import { formatReference, parseImageReference } from './reference.js';
import { RegistryClient } from './registry-client.js';

/** A pulled component. */
export interface WasmArtifact {
  /** The component's bytes, verified against `digest`. */
  bytes: Uint8Array;
  /** `sha256:<hex>` of the component (the layer's digest): what the Wasm runtime caches by. */
  digest: string;
  /** Digest of the artifact's manifest. */
  manifestDigest: string;
  /** The canonical reference pulled. */
  ref: string;
}

/** Options of {@link pullWasmArtifact}. */
export interface PullWasmOptions {
  /** The node's registry client (credentials, insecure registries); a default one otherwise. */
  client?: RegistryClient;
  signal?: AbortSignal;
  auth?: RegistryAuth;
  /** Largest component accepted (default 256 MiB). */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
const isWasmConfig = (mt: string): boolean => mt.startsWith('application/vnd.wasm.config.');

/**
 * Pulls the Wasm component at `ref` (`registry/repo:tag` or `@sha256:…`); an index is resolved to
 * its `wasm` entry. Throws ImagePullError when `ref` is not a Wasm artifact, saying what it is.
 */
export async function pullWasmArtifact(ref: string, opts: PullWasmOptions = {}): Promise<WasmArtifact> {
  const parsed = parseImageReference(ref);
  const canonical = formatReference(parsed);
  const client = opts.client ?? new RegistryClient();
  const req = { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.auth ? { auth: opts.auth } : {}) };
  let fetched = await client.getManifest(parsed, parsed.digest ?? parsed.tag ?? 'latest', req);
  if (fetched.document.kind === 'index') {
    const entry = wasmEntry(fetched.document, canonical);
    fetched = await client.getManifest(parsed, entry.digest, req);
  }
  const doc = fetched.document;
  if (doc.kind !== 'manifest') throw new ImagePullError(`${canonical}: nested index where a Wasm artifact manifest was expected`);
  if (!isWasmConfig(doc.config.mediaType)) {
    throw new ImagePullError(`${canonical} is not a Wasm component artifact (config media type ${doc.config.mediaType}, expected ${MediaType.wasmConfig}); a container image runs with runtimeClassName: oci`);
  }
  const layers = doc.layers.filter((l) => l.mediaType === MediaType.wasmLayer);
  const layer = layers[0];
  if (!layer || layers.length > 1) throw new ImagePullError(`${canonical}: a Wasm artifact has exactly one ${MediaType.wasmLayer} layer (found ${layers.length})`);
  const bytes = await client.getBlob(parsed, layer, opts.maxBytes ?? DEFAULT_MAX_BYTES, req);
  return { bytes, digest: layer.digest, manifestDigest: fetched.digest, ref: canonical };
}

function wasmEntry(index: ImageIndex, canonical: string): Descriptor {
  const entry =
    index.manifests.find((m) => m.platform?.architecture === 'wasm') ??
    index.manifests.find((m) => m.artifactType !== undefined && isWasmConfig(m.artifactType)) ??
    (index.manifests.length === 1 ? index.manifests[0] : undefined);
  if (!entry) throw new ImagePullError(`${canonical}: the index has no wasm entry (platform architecture "wasm")`);
  return entry;
}

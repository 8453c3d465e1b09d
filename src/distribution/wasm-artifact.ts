/**
 * Wasm components published as OCI artifacts (the CNCF Wasm OCI artifact layout: an image manifest
 * whose config has media type `application/vnd.wasm.config.v0+json` and whose one layer is the
 * component, `application/wasm`), pulled with the same registry client as container images, so a
 * Wasm pod's `image: registry.example/app:1.0` works. Resolving (manifest) and fetching (the
 * component) are separate steps, so a caller holding the component by digest fetches nothing more.
 */
import { ImagePullError } from '../api/index.js';
import type { RegistryAuth } from './platform.js';
import {
  MediaType,
  formatPlatform,
  indexPlatforms,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
} from './manifest.js';
import { formatReference, parseImageReference, type ImageReference } from './reference.js';
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

/** A Wasm artifact's manifest, fetched, verified and checked; its component not fetched yet. */
export interface ResolvedWasmArtifact {
  /** The canonical reference (`registry/repository[:tag][@digest]`). */
  ref: string;
  reference: ImageReference;
  /** Digest of the artifact's manifest (an index resolved to its wasm entry). */
  manifestDigest: string;
  /** The component's layer. */
  layer: Descriptor;
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
/** The layer type of the first wasm-to-oci tool, still found in registries. */
const LEGACY_WASM_LAYER = 'application/vnd.wasm.content.layer.v1+wasm';
const isWasmConfig = (mt: string): boolean => mt.startsWith('application/vnd.wasm.config.');
const isWasmLayer = (mt: string): boolean => mt === MediaType.wasmLayer || mt === LEGACY_WASM_LAYER;
const CONTAINER_CONFIGS: readonly string[] = [MediaType.ociConfig, MediaType.dockerConfig];
const RUN_AS_CONTAINER = 'a container image runs with runtimeClassName: oci';

/**
 * Pulls the Wasm component at `ref` (`registry/repo:tag` or `@sha256:…`); an index is resolved to
 * its `wasm` entry. Throws ImagePullError when `ref` is not a Wasm artifact, saying what it is.
 */
export async function pullWasmArtifact(ref: string, opts: PullWasmOptions = {}): Promise<WasmArtifact> {
  const artifact = await resolveWasmArtifact(ref, opts);
  const bytes = await fetchWasmComponent(artifact, opts);
  return { bytes, digest: artifact.layer.digest, manifestDigest: artifact.manifestDigest, ref: artifact.ref };
}

/** Fetches the manifest of `ref` (an index: its wasm entry's) and checks it is a Wasm artifact. */
export async function resolveWasmArtifact(ref: string, opts: PullWasmOptions = {}): Promise<ResolvedWasmArtifact> {
  const parsed = parseImageReference(ref);
  const canonical = formatReference(parsed);
  const client = opts.client ?? new RegistryClient();
  const req = requestOpts(opts);
  let fetched = await client.getManifest(parsed, parsed.digest ?? parsed.tag ?? 'latest', req);
  if (fetched.document.kind === 'index') {
    const entry = wasmEntry(fetched.document, canonical);
    fetched = await client.getManifest(parsed, entry.digest, req);
  }
  const doc = fetched.document;
  if (doc.kind !== 'manifest')
    throw new ImagePullError(`${canonical}: nested index where a Wasm artifact manifest was expected`);
  if (!isWasmConfig(doc.config.mediaType)) throw new ImagePullError(notWasm(canonical, doc));
  const layers = doc.layers.filter((l) => isWasmLayer(l.mediaType));
  const layer = layers[0];
  if (!layer || layers.length > 1)
    throw new ImagePullError(
      `${canonical}: a Wasm artifact has exactly one ${MediaType.wasmLayer} layer (found ${layers.length})`,
    );
  return { ref: canonical, reference: parsed, manifestDigest: fetched.digest, layer };
}

/** Downloads the component of a resolved artifact, verified against its layer digest and size. */
export async function fetchWasmComponent(
  artifact: ResolvedWasmArtifact,
  opts: PullWasmOptions = {},
): Promise<Uint8Array> {
  const client = opts.client ?? new RegistryClient();
  return client.getBlob(artifact.reference, artifact.layer, opts.maxBytes ?? DEFAULT_MAX_BYTES, requestOpts(opts));
}

function requestOpts(opts: PullWasmOptions): { signal?: AbortSignal; auth?: RegistryAuth } {
  return { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.auth ? { auth: opts.auth } : {}) };
}

function notWasm(canonical: string, doc: ImageManifest): string {
  const publish = `a Wasm component is published with config ${MediaType.wasmConfig} and one ${MediaType.wasmLayer} layer`;
  if (CONTAINER_CONFIGS.includes(doc.config.mediaType)) {
    return `${canonical} is a container image (config media type ${doc.config.mediaType}), not a Wasm component artifact: ${RUN_AS_CONTAINER}; ${publish}`;
  }
  return `${canonical} is not a Wasm component artifact (config media type ${doc.config.mediaType}, expected ${MediaType.wasmConfig}); ${RUN_AS_CONTAINER}`;
}

function wasmEntry(index: ImageIndex, canonical: string): Descriptor {
  const entry =
    index.manifests.find((m) => m.platform?.architecture === 'wasm') ??
    index.manifests.find((m) => m.artifactType !== undefined && isWasmConfig(m.artifactType)) ??
    (index.manifests.length === 1 ? index.manifests[0] : undefined);
  if (entry) return entry;
  const platforms = indexPlatforms(index).map(formatPlatform);
  if (platforms.length > 0) {
    throw new ImagePullError(
      `${canonical} is a container image (an index for ${platforms.join(', ')}), not a Wasm component artifact: ${RUN_AS_CONTAINER}`,
    );
  }
  throw new ImagePullError(`${canonical}: the index has no wasm entry (platform architecture "wasm")`);
}

/**
 * Public surface of the distribution area: what both runtimes (and the hub's blob store) need of OCI
 * distribution — image references, digests, manifests and media types, the registry client with its
 * token flow and credentials, bounded reading of registry bodies, Wasm OCI artifacts, and the one
 * digest-verified content store. Imports only `src/api` and `src/durable`; knows nothing of the hub,
 * the agent or either runtime.
 */
export type { Platform, RegistryAuth } from './platform.js';
export {
  DOCKER_HUB,
  formatReference,
  isLoopbackRegistry,
  parseImageReference,
  registryApiHost,
  type ImageReference,
} from './reference.js';
export { Digester, assertSha256Digest, fileDigest, parseDigest, sha256Digest, verifyBytes } from './digest.js';
export {
  MANIFEST_ACCEPT,
  MediaType,
  formatPlatform,
  indexPlatforms,
  parseManifest,
  selectPlatform,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
} from './manifest.js';
export {
  RegistryClient,
  redirectTarget,
  type FetchedManifest,
  type RegistryClientDeps,
  type RegistrySettings,
  type RequestOpts,
} from './registry-client.js';
export { RegistryAuthorizer, parseChallenge, type AuthorizeOptions, type Challenge } from './registry-auth.js';
export { RegistryCredentials } from './credentials.js';
export { MAX_DETAIL_CHARS, MAX_SMALL_BODY_BYTES, clip, readCapped, readHead } from './bounded-body.js';
export {
  fetchWasmComponent,
  pullWasmArtifact,
  resolveWasmArtifact,
  type PullWasmOptions,
  type ResolvedWasmArtifact,
  type WasmArtifact,
} from './wasm-artifact.js';
export {
  ContentStore,
  type ContentSource,
  type ContentStoreOptions,
  type StagedContent,
  type WriteOptions,
} from './content-store.js';
export { privateDir } from './private-dir.js';

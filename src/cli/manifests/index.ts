/** Public surface of manifest handling: loading, validation and local Wasm image upload. */
export { loadManifests, parseManifests, type Manifest, type ManifestSources } from './load.js';
export { ManifestError, describeManifest, validateManifest, type ValidManifest } from './validate.js';
export { containersOf, localDigest, localWasmPath, rewriteLocalImages, type BlobUploader } from './images.js';

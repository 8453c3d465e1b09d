/** Strategic merge patch, as Kubernetes applies it, driven by `src/api`'s patch metadata. */
export { strategicMergePatch } from './strategic-merge.js';

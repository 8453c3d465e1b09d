/** Nodes register with their status, as in Kubernetes (every other kind starts from a clean one). */
import type { KindRules } from './strategy.js';

/** The rules of `v1 Node`. */
export const nodeStrategy: KindRules = {
  statusOnCreate: (input) => input.status,
};

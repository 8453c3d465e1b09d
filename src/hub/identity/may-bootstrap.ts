/** Which principals may ask for a node's first certificate. */
import type { Principal } from '../auth/index.js';

/**
 * True for a bootstrap token (a Token object with usage `bootstrap`, group `system:bootstrappers`):
 * deleted or expired, it authenticates nothing, so it admits no new node.
 */
export function mayBootstrap(p: Principal): boolean {
  return p.kind === 'bootstrap';
}

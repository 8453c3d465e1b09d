/** Which principals may ask for a node's first certificate. */
import type { Principal } from '../auth/index.js';

/**
 * True for a bootstrap credential: today the shared join token (a node principal without a name).
 * Bootstrap tokens as managed objects authenticate as `{kind: 'bootstrap'}`; when they land, this
 * becomes `p.kind === 'bootstrap' || (p.kind === 'node' && p.name === undefined)`.
 */
export function mayBootstrap(p: Principal): boolean {
  return p.kind === 'node' && p.name === undefined;
}

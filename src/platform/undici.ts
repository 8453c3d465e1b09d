/**
 * undici, loaded on its first use instead of at start-up.
 *
 * Why: an idle agent makes no HTTP request of its own (its hub link is a WebSocket), yet a static
 * `import 'undici'` costs every agent about 10 MB of RSS and a hundred scripts (measured in
 * docs/benchmarks.md, "a lean agent"). The agent's modules call `undici()` where they build a pool or
 * send a request, so the cost is paid by the first mesh hop, blob download or certificate renewal.
 * `require` keeps those call sites synchronous, and it is the same module instance an `import` would
 * give: undici is a CommonJS package with one cache.
 */
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

const load = createRequire(import.meta.url);
let loaded: typeof Undici | undefined;

/** The undici module, loaded the first time this is called. */
export function undici(): typeof Undici {
  return (loaded ??= load('undici') as typeof Undici);
}

/** How the agent memory benchmark prints a stage. */
import type { Stage } from './agent-proc.js';

/** One stage as a row: RSS, V8 heap used and threads, after a label. */
export const show = (label: string, s: Stage): void =>
  console.log(
    `  ${label.padEnd(28)} RSS ${s.rssMb.toFixed(1).padStart(6)} MB   heap used ${s.heapUsedMb.toFixed(1).padStart(5)} MB   threads ${String(s.threads).padStart(3)}`,
  );

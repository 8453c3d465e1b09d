/**
 * One-shot worker that runs jco's `transpile()` on a component (0.7–1.4 s of CPU for a
 * StarlingMonkey component: kept off the agent's main thread so heartbeats and probes keep going).
 * Input: `workerData` = {@link TranspileJob}; output: one {@link TranspileOutcome} message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { transpile } from '@bytecodealliance/jco';

export interface TranspileJob {
  bytes: Uint8Array;
  name: string;
}

export type TranspileOutcome =
  { ok: true; files: Record<string, Uint8Array>; exports: string[] } | { ok: false; message: string };

async function main(job: TranspileJob): Promise<TranspileOutcome> {
  try {
    const out = await transpile(job.bytes, { name: job.name, instantiation: 'async', noTypescript: true });
    return { ok: true, files: out.files, exports: out.exports.map(([name]) => name) };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

void main(workerData as TranspileJob).then((outcome) => parentPort?.postMessage(outcome));

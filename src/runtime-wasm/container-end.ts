/** How an instance's end becomes its container's terminated state (exit code, reason, message). */
import type { ContainerRuntimeStatus } from '../api/index.js';
import type { InstanceEnd } from './executors/executor-protocol.js';
import { KILLED_EXIT_CODE } from './exit-codes.js';

/** A container's terminated fields. */
export type EndFields = Required<Pick<ContainerRuntimeStatus, 'exitCode' | 'reason'>> & { message?: string };

/**
 * The end of a container whose instance ended by itself, `during` its run (`'run'`) or a request
 * (its label): an exit keeps its code, running out of memory is OOMKilled (137) as under the
 * kernel's OOM killer, a trap is an Error.
 */
export function endFields(end: InstanceEnd, during: string): EndFields {
  if (end.kind === 'exit') {
    const fields: EndFields = { exitCode: end.code, reason: end.code === 0 ? 'Completed' : 'Error' };
    if (during !== 'run') fields.message = `exited with code ${end.code} while handling ${during}`;
    return fields;
  }
  if (end.kind === 'oom') {
    return {
      exitCode: KILLED_EXIT_CODE,
      reason: 'OOMKilled',
      message: `${during === 'run' ? 'while running' : `while handling ${during}`}: ${end.message}`,
    };
  }
  return { exitCode: 1, reason: 'Error', message: end.message };
}

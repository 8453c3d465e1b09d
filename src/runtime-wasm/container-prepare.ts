/**
 * The first step of creating a Wasm container (main thread): its component transpiled (once per
 * digest) and compiled for its memory limit, and checked to export something the runtime drives.
 * Failures are CreateContainerErrors that say which kind of failure it was.
 */
import { CreateContainerError, errorMessage } from '../api/index.js';
import type { ContainerConfig } from '../api/index.js';
import type { ImageStore } from './images/image-store.js';
import {
  TranspileAbortedError,
  TranspileError,
  type CompiledModules,
  type TranspileCache,
  type TranspiledComponent,
} from './images/transpile-cache.js';
import { MemoryLimitError } from './memory/memory-limit.js';

/** A container's component, ready to instantiate. */
export interface PreparedComponent {
  component: TranspiledComponent;
  compiled: CompiledModules;
  /** It serves HTTP (else it is a command). */
  exportsHttp: boolean;
}

/** Transpiles and compiles `config`'s component for `memoryLimitBytes`, and checks its exports. */
export async function prepareComponent(
  transpiler: TranspileCache,
  images: ImageStore,
  config: ContainerConfig,
  memoryLimitBytes: number,
): Promise<PreparedComponent> {
  let component: TranspiledComponent;
  let compiled: CompiledModules;
  try {
    component = await transpiler.get(config.image.digest, images.pathOf(config.image.digest));
    compiled = await transpiler.modulesFor(component, memoryLimitBytes);
  } catch (err) {
    const what =
      err instanceof TranspileError
        ? 'not a valid Wasm component'
        : err instanceof TranspileAbortedError
          ? 'transpile aborted'
          : err instanceof MemoryLimitError
            ? 'memory limit too low'
            : 'cannot prepare the component';
    throw new CreateContainerError(
      `cannot create container ${config.name} from ${config.image.ref}: ${what}: ${errorMessage(err)}`,
      err,
    );
  }
  const exportsHttp = component.exports.some((e) => e.startsWith('wasi:http/incoming-handler'));
  const exportsRun = component.exports.some((e) => e.startsWith('wasi:cli/run'));
  if (!exportsHttp && !exportsRun) {
    throw new CreateContainerError(
      `cannot create container ${config.name}: ${config.image.ref} exports neither wasi:http/incoming-handler nor wasi:cli/run ` +
        `(exports: ${component.exports.join(', ') || 'none'})`,
    );
  }
  return { component, compiled, exportsHttp };
}

/**
 * What an instance of a Wasm container is made from (main thread): which of the interfaces the
 * runtime drives its component exports, and the {@link InstanceSpec} an executor instantiates — the
 * component, and the grant from the pod spec (its env and argv, its mounts and config entries, its
 * memory limit, its identity for outgoing calls).
 */
import type { ContainerConfig } from '../api/index.js';
import type { InstanceSpec } from './executors/executor-protocol.js';
import type { MountGrant } from './host/fs-paths.js';
import type { CompiledModules, TranspiledComponent } from './images/transpile-cache.js';

/** The component's export of `iface` (any version), if it has one. */
export function exportOf(c: TranspiledComponent, iface: string): string | undefined {
  return c.exports.find((e) => e === iface || e.startsWith(`${iface}@`));
}

/** What {@link instanceSpec} builds from. */
export interface ContainerSource {
  config: ContainerConfig;
  component: TranspiledComponent;
  compiled: CompiledModules;
  /** Every instance's linear-memory limit. */
  memoryLimitBytes: number;
  /** Whether the runtime delivers outgoing HTTP (then the instance carries its pod's identity). */
  callsOut: boolean;
  /** The container's checked mounts (preopened in every instance). */
  mounts: readonly MountGrant[];
}

/** How an exec's instance does its stdio (default: output to the container's log, stdin empty). */
export interface InstanceIo {
  /** Keep the output and return it with the run. */
  captureOutput?: boolean;
  /** Its whole stdin. */
  stdin?: Uint8Array;
}

/** The spec of instance `instanceId` with `args` (default: the container's own argv). */
export function instanceSpec(
  src: ContainerSource,
  instanceId: number,
  args?: string[],
  io: InstanceIo = {},
): InstanceSpec {
  const { captureOutput, stdin } = io;
  const { config, component, compiled } = src;
  const httpExport = exportOf(component, 'wasi:http/incoming-handler');
  const runExport = exportOf(component, 'wasi:cli/run');
  const argv = args ?? [...(config.command.length > 0 ? config.command : [config.name]), ...config.args];
  return {
    instanceId,
    component: {
      key: compiled.key,
      jsUrl: component.jsUrl,
      ...(httpExport ? { httpExport } : {}),
      ...(runExport ? { runExport } : {}),
    },
    grant: {
      env: { ...config.env },
      args: argv,
      ...(src.mounts.length > 0 ? { mounts: [...src.mounts] } : {}),
      ...(config.config ? { config: { ...config.config } } : {}),
      ...(stdin && stdin.byteLength > 0 ? { stdin } : {}),
    },
    memoryLimitBytes: src.memoryLimitBytes,
    ...(captureOutput ? { captureOutput } : {}),
    ...(src.callsOut ? { caller: { ...config.pod, container: config.name } } : {}),
  };
}

/**
 * One Engine API container as the adapter keeps it, and how the adapter follows it once started (or
 * adopted): its output copied into its CRI log, its exit waited on, drained into the log, recorded
 * and announced — unless the adapter let go of it first (the agent exits, leaving it for the next).
 */
import { errorMessage, rfc3339 } from '../../api/index.js';
import type { Logger } from '../../api/index.js';
import type { CriLogWriter } from '../../platform/index.js';
import type { OciContainerSpec, OciExit } from '../adapter.js';
import type { EngineClient } from './engine-client.js';
import type { LogCutoff } from './engine-log-resume.js';
import { followLogs } from './engine-logs.js';
import type { ContainerNetworkSettings } from './engine-network.js';

/** `GET /containers/{id}/json`, the fields the adapter reads. */
export interface ContainerInspect {
  Id: string;
  Config?: { Labels?: Record<string, string> | null; Tty?: boolean; OpenStdin?: boolean; StdinOnce?: boolean };
  HostConfig?: { NetworkMode?: string };
  State?: {
    Status?: string;
    Running?: boolean;
    Pid?: number;
    ExitCode?: number;
    OOMKilled?: boolean;
    Error?: string;
    StartedAt?: string;
    FinishedAt?: string;
  };
  NetworkSettings?: ContainerNetworkSettings;
}

/** The adapter's record of one container. */
export interface EngineContainer {
  spec: OciContainerSpec;
  engineId: string;
  state: 'created' | 'running' | 'exited';
  ip?: string;
  pid?: number;
  startedAt?: string;
  exit?: OciExit;
  /** Settles when the exit has been recorded (or the container let go of). */
  exited?: Promise<void>;
  log?: CriLogWriter;
  stopLogs?: AbortController;
  /** The agent exits and leaves the container running: no exit is recorded by this process. */
  released?: boolean;
}

/** What {@link watchContainer} needs of the adapter. */
export interface WatchDeps {
  client: EngineClient;
  logger: Logger;
  /** Announces an exit (the adapter's listeners). */
  emit(exit: OciExit): void | Promise<void>;
}

/** Follows a started container: its output into `c.log` (after `resume`, when adopted), then its exit. */
export function watchContainer(deps: WatchDeps, c: EngineContainer, resume?: LogCutoff): void {
  c.stopLogs = new AbortController();
  const signal = c.stopLogs.signal;
  const logsDone = followLogs(deps.client, c.engineId, c.log, signal, c.spec.tty === true, resume).catch(
    (err: unknown) => {
      if (!signal.aborted) deps.logger.debug({ container: c.spec.id, err: errorMessage(err) }, 'log stream ended');
    },
  );
  c.exited = waitExit(deps, c, logsDone);
}

/** Lets go of a container left running for the next agent: its output is no longer read here. */
export async function releaseContainer(c: EngineContainer): Promise<void> {
  c.released = true;
  c.stopLogs?.abort();
  await c.log?.close();
}

/** Waits for the exit, lets the output drain into the log, then records and announces the exit. */
async function waitExit(deps: WatchDeps, c: EngineContainer, logsDone: Promise<void>): Promise<void> {
  let code = 137;
  try {
    const res = await deps.client.call<{ StatusCode?: number }>('POST', `/containers/${c.engineId}/wait`, {
      timeoutMs: 0,
    });
    code = res?.StatusCode ?? code;
  } catch (err) {
    if (c.released) return;
    deps.logger.warn({ container: c.spec.id, err: errorMessage(err) }, 'waiting for the container failed');
  }
  if (c.released) return;
  const info = await deps.client.call<ContainerInspect>('GET', `/containers/${c.engineId}/json`).catch(() => undefined);
  await Promise.race([logsDone, new Promise((r) => setTimeout(r, 2000).unref())]);
  const exit: OciExit = {
    id: c.spec.id,
    exitCode: info?.State?.ExitCode ?? code,
    finishedAt: rfc3339(Date.now()),
    oomKilled: info?.State?.OOMKilled === true,
  };
  if (info?.State?.Error) exit.message = info.State.Error;
  c.exit = exit;
  c.state = 'exited';
  await c.log?.close();
  await deps.emit(exit);
}

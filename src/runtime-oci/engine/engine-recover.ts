/**
 * What a restarted agent finds of the Engine API containers an earlier run left (issue 20: agent
 * upgrades): the daemon kept them, their output and their exit. A container is taken back when its
 * labels say whose it is (node, pod uid, container name, the agent's container id, its log file) and
 * it has no terminal; everything else of this node is left for `sweep` to remove. The daemon holds a
 * container's stdin too, so one with stdin is taken back with it (attaches write to it again). One on
 * a terminal is not: its log is the terminal's raw stream, with no daemon times to resume after.
 */
import { errorMessage, rfc3339 } from '../../api/index.js';
import type { Logger } from '../../api/index.js';
import { type CriLogRotation, CriLogWriter } from '../../platform/index.js';
import type { OciContainerSpec } from '../adapter.js';
import { LABELS, adoptedSpec } from '../oci-adopted.js';
import type { EngineClient } from './engine-client.js';
import { ID_LABEL, LOG_LABEL, NODE_LABEL } from './engine-create.js';
import { type LogCutoff, logCutoff } from './engine-log-resume.js';
import { followLogs } from './engine-logs.js';
import { containerAddresses } from './engine-network.js';
import type { ContainerInspect, EngineContainer } from './engine-watch.js';

/** A container taken back; a running one is to be followed on from `resume`. */
export interface RecoveredContainer {
  container: EngineContainer;
  resume: LogCutoff | undefined;
}

/** What {@link recoverEngineContainers} needs. */
export interface RecoverDeps {
  client: EngineClient;
  nodeName: string;
  logger: Logger;
  containerLogs?: CriLogRotation | undefined;
}

/** How long the output an exited container left in the daemon may take to copy into its log. */
const EXITED_LOG_MS = 5_000;

/** A daemon time (RFC 3339, nanoseconds, any zone) as the agent writes times; undefined when unset. */
function daemonTime(t: string | undefined): string | undefined {
  const ms = t ? Date.parse(t) : NaN;
  // The zero time (`0001-01-01T00:00:00Z`) is the daemon's "never".
  return Number.isNaN(ms) || ms <= 0 ? undefined : rfc3339(ms);
}

/** The partial spec of an adoptable container (what the adapter reads after start); undefined if it is not one. */
function specOf(info: ContainerInspect): OciContainerSpec | undefined {
  const labels = info.Config?.Labels ?? {};
  const id = labels[ID_LABEL];
  const logPath = labels[LOG_LABEL];
  const uid = labels[LABELS.podUid];
  const name = labels[LABELS.container];
  if (!id || !logPath || !uid || !name) return undefined; // an older agent's, or not ours
  if (info.Config?.Tty) return undefined; // ends with the agent (README)
  const pod = { namespace: labels[LABELS.podNamespace] ?? '', name: labels[LABELS.podName] ?? '', uid };
  const hostNetwork = info.HostConfig?.NetworkMode === 'host';
  const stdin = info.Config?.OpenStdin ? { stdin: { once: info.Config.StdinOnce === true } } : {};
  return adoptedSpec({ id, pod, name, hostNetwork, logPath, labels, ...stdin });
}

/**
 * Takes back this node's adoptable containers: a running one comes back with its address, pid and
 * start time (the caller follows it on from `resume`); one that exited while no agent ran comes
 * back exited, the output it left copied into its log first.
 */
export async function recoverEngineContainers(deps: RecoverDeps): Promise<RecoveredContainer[]> {
  const found: RecoveredContainer[] = [];
  for (const Id of await nodeContainers(deps)) {
    try {
      const info = await deps.client.call<ContainerInspect>('GET', `/containers/${Id}/json`);
      const spec = info ? specOf(info) : undefined;
      const status = info?.State?.Status;
      if (!info || !spec || (status !== 'running' && status !== 'exited')) continue;
      const resume = await logCutoff(spec.logPath);
      const c: EngineContainer = { spec, engineId: Id, state: status };
      const { ip } = containerAddresses(info.NetworkSettings);
      if (ip && !spec.hostNetwork) c.ip = ip;
      if (info.State?.Pid) c.pid = info.State.Pid;
      const startedAt = daemonTime(info.State?.StartedAt);
      if (startedAt !== undefined) c.startedAt = startedAt;
      c.log = await CriLogWriter.open(spec.logPath, deps.containerLogs);
      if (status === 'exited') {
        await copyExitedOutput(deps, c, resume);
        c.exit = {
          id: spec.id,
          exitCode: info.State?.ExitCode ?? 137,
          finishedAt: daemonTime(info.State?.FinishedAt) ?? rfc3339(Date.now()),
          oomKilled: info.State?.OOMKilled === true,
          ...(info.State?.Error ? { message: info.State.Error } : {}),
        };
      }
      found.push({ container: c, resume });
      deps.logger.info({ container: spec.id, state: status }, 'took back a container of an earlier run');
    } catch (err) {
      deps.logger.warn({ container: Id, err: errorMessage(err) }, 'cannot take back a container; it is removed');
    }
  }
  return found;
}

/** The daemon ids of every container labelled with this node, whatever its state. */
async function nodeContainers(deps: Pick<RecoverDeps, 'client' | 'nodeName'>): Promise<string[]> {
  const filters = JSON.stringify({ label: [`${NODE_LABEL}=${deps.nodeName}`] });
  const query = { all: 'true', filters };
  return ((await deps.client.call<Array<{ Id: string }>>('GET', '/containers/json', { query })) ?? []).map((c) => c.Id);
}

/** Removes this node's containers but the `kept` ones (daemon ids): an earlier run's that no agent follows. */
export async function sweepEngineLeftovers(
  deps: Pick<RecoverDeps, 'client' | 'nodeName' | 'logger'>,
  kept: ReadonlySet<string>,
): Promise<void> {
  for (const id of await nodeContainers(deps)) {
    if (kept.has(id)) continue;
    await deps.client
      .call('DELETE', `/containers/${id}`, { query: { force: 'true', v: 'true' } })
      .catch(() => undefined);
    deps.logger.info({ container: id }, 'removed a leftover container');
  }
}

/** Copies what an exited container wrote after its log's last line (the stream ends at its end). */
async function copyExitedOutput(deps: RecoverDeps, c: EngineContainer, resume: LogCutoff | undefined): Promise<void> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), EXITED_LOG_MS);
  try {
    await followLogs(deps.client, c.engineId, c.log, stop.signal, false, resume);
  } catch (err) {
    deps.logger.debug({ container: c.spec.id, err: errorMessage(err) }, 'copying the output of an exited container');
  } finally {
    clearTimeout(timer);
    await c.log?.close();
  }
}

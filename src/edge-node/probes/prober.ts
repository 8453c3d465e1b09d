/**
 * Runs one attempt of a probe against a container instance through the `Runtime` interface, whatever
 * runtime it is. The Wasm mapping: `httpGet` is delivered in-process to the component's HTTP handler;
 * `tcpSocket` succeeds while the component is instantiated and accepting requests; `exec` runs a fresh
 * instance's `wasi:cli/run` with the command as arguments and the exit code decides. A `tcp` endpoint
 * (a container with a real port) gets a real connection for `httpGet` and `tcpSocket`.
 */
import { connect } from 'node:net';
import { TimeoutError, errorMessage } from '../../api/index.js';
import type { ExecAction, Probe, PortNumberOrName, TCPSocketAction } from '../../api/index.js';
import { raceDeadline } from './deadline.js';
import { httpGetProbe } from './http-probe.js';
import type { ProbeOutcome, ProbeTarget, ProbeTimers } from './types.js';

/** Most output of an exec probe kept in its failure message (the kubelet keeps 10 KiB). */
const MAX_EXEC_OUTPUT = 1024;

/** Runs one attempt of `probe` against `target`; never throws. */
export async function runProbe(probe: Probe, target: ProbeTarget, timers: ProbeTimers): Promise<ProbeOutcome> {
  const timeoutMs = probe.timeoutSeconds * 1000;
  try {
    if (probe.httpGet) {
      const port = resolveProbePort(probe.httpGet.port, target);
      if (typeof port === 'string') return { ok: false, message: port };
      return await httpGetProbe(probe.httpGet, port, target, timeoutMs, timers);
    }
    if (probe.tcpSocket) return await tcpSocketProbe(probe.tcpSocket, target, timeoutMs, timers);
    if (probe.exec) return await execProbe(probe.exec, target, timeoutMs, timers);
    return { ok: false, message: 'probe has no handler' };
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
}

/** A numeric port, or a named one looked up in the container's `ports`; a string result is the error. */
export function resolveProbePort(port: PortNumberOrName, target: ProbeTarget): number | string {
  if (typeof port === 'number') return port;
  const found = target.container.ports?.find((p) => p.name === port);
  return found ? found.containerPort : `port "${port}" is not a named port of container ${target.container.name}`;
}

async function tcpSocketProbe(
  action: TCPSocketAction,
  target: ProbeTarget,
  timeoutMs: number,
  timers: ProbeTimers,
): Promise<ProbeOutcome> {
  const port = resolveProbePort(action.port, target);
  if (typeof port === 'string') return { ok: false, message: port };
  const where = `${action.host ?? target.podIP}:${port}`;
  let endpoint;
  try {
    endpoint = target.runtime.endpoint(target.containerId, port);
  } catch (err) {
    return { ok: false, message: `dial tcp ${where}: ${errorMessage(err)}` };
  }
  if (endpoint.kind === 'in-process') {
    // No socket to dial: "accepting connections" is "instantiated and serving requests".
    const state = target.runtime.containerStatus(target.containerId)?.state ?? 'unknown';
    return state === 'running'
      ? { ok: true, message: '' }
      : { ok: false, message: `dial tcp ${where}: component is not accepting requests (${state})` };
  }
  const host = action.host ?? endpoint.host;
  const dial = new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port: endpoint.port });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('i/o timeout')));
  });
  try {
    const raced = await raceDeadline(dial, timeoutMs, timers);
    return raced.timedOut
      ? { ok: false, message: `dial tcp ${host}:${endpoint.port}: i/o timeout` }
      : { ok: true, message: '' };
  } catch (err) {
    return { ok: false, message: `dial tcp ${host}:${endpoint.port}: connect: ${errorMessage(err)}` };
  }
}

async function execProbe(
  action: ExecAction,
  target: ProbeTarget,
  timeoutMs: number,
  timers: ProbeTimers,
): Promise<ProbeOutcome> {
  const { runtime } = target;
  if (!runtime.exec) return { ok: false, message: `exec probes not supported by runtime ${runtime.name}` };
  const command = JSON.stringify(action.command.join(' '));
  // The runtime enforces the timeout (it ends the instance); our own deadline is a backstop.
  const work = runtime.exec(target.containerId, action.command, { timeoutMs });
  try {
    const raced = await raceDeadline(work, timeoutMs + 1000, timers);
    if (raced.timedOut) return { ok: false, message: `command ${command} timed out`, pending: raced.pending };
    const { exitCode, stdout, stderr } = raced.value;
    const output = (stdout + stderr).trim().slice(0, MAX_EXEC_OUTPUT);
    if (exitCode === 0) return { ok: true, message: output };
    // The kubelet reports the command's output; say something when it printed nothing.
    return { ok: false, message: output || `command ${command} exited with code ${exitCode}` };
  } catch (err) {
    if (err instanceof TimeoutError)
      return { ok: false, message: `command ${command} timed out after ${timeoutMs / 1000}s` };
    return { ok: false, message: `command ${command} failed: ${errorMessage(err)}` };
  }
}

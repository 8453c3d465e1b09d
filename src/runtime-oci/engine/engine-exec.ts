/**
 * `exec` through the Engine API: create an exec instance, start it attached (the daemon answers with
 * the multiplexed output and closes when the command ends), then read its exit code. On timeout the
 * command's process is SIGKILLed by its host pid (the API has no way to stop an exec) and the call
 * is abandoned.
 */
import { TimeoutError } from '../../api/index.js';
import type { ExecResult } from '../../api/index.js';
import { demux, type EngineClient } from './engine-client.js';

const MAX_OUTPUT = 1024 * 1024;

interface ExecInspect {
  ExitCode?: number | null;
  Running?: boolean;
  Pid?: number;
}

/** Runs `command` in container `engineId`; rejects with TimeoutError past `timeoutMs`. */
export async function engineExec(
  client: EngineClient,
  engineId: string,
  command: readonly string[],
  timeoutMs: number,
): Promise<ExecResult> {
  const created = await client.call<{ Id: string }>('POST', `/containers/${engineId}/exec`, {
    body: { AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, Cmd: command },
  });
  const execId = created?.Id;
  if (!execId) throw new Error('the daemon created no exec instance');
  const abort = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void client
      .call<ExecInspect>('GET', `/exec/${execId}/json`)
      .then((i) => {
        if (i?.Pid) process.kill(i.Pid, 'SIGKILL');
      })
      .catch(() => undefined)
      .finally(() => abort.abort());
  }, timeoutMs);
  let stdout = '';
  let stderr = '';
  try {
    const res = await client.open('POST', `/exec/${execId}/start`, {
      body: { Detach: false, Tty: false },
      timeoutMs: 0,
      signal: abort.signal,
    });
    await demux(res.body, (stream, data) => {
      if (stream === 'stdout' && stdout.length < MAX_OUTPUT) stdout += data.toString('utf8');
      if (stream === 'stderr' && stderr.length < MAX_OUTPUT) stderr += data.toString('utf8');
    });
  } catch (err) {
    if (!timedOut) throw err;
  } finally {
    clearTimeout(timer);
  }
  if (timedOut) throw new TimeoutError(`command ${JSON.stringify(command.join(' '))} timed out after ${timeoutMs} ms`);
  // The output ends a moment before the daemon records the exit code.
  for (let i = 0; i < 100; i++) {
    const info = await client.call<ExecInspect>('GET', `/exec/${execId}/json`);
    if (info && !info.Running && typeof info.ExitCode === 'number') return { exitCode: info.ExitCode, stdout, stderr };
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`exec ${execId}: the daemon reported no exit code`);
}

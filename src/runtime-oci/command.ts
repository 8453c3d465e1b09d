/**
 * Running the system tools the OCI runtime drives (`runc`, `ip`, `mount`, `mknod`): output captured,
 * a deadline, and a failure that carries the tool's own message.
 */
import { execFile } from 'node:child_process';

/** What a finished command printed and returned. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A command exited non-zero (or could not run): `message` is `<cmd> <args>: <its stderr>`. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

/** Options of {@link runCommand}. */
export interface CommandOptions {
  timeoutMs?: number;
  cwd?: string;
  /** Resolve with the result instead of throwing when the exit code is not 0. */
  allowFailure?: boolean;
  /** Written to the command's stdin (which is closed after it). */
  input?: string;
}

/** Runs `file args…` and resolves with its output; throws CommandError on a non-zero exit. */
export function runCommand(file: string, args: readonly string[], opts: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        timeout: opts.timeoutMs ?? 30_000,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
        cwd: opts.cwd,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        if (!err) return resolve({ code: 0, stdout, stderr });
        const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
        const code = typeof e.code === 'number' ? e.code : -1;
        if (opts.allowFailure && code >= 0) return resolve({ code, stdout, stderr });
        const why = e.killed
          ? `timed out after ${opts.timeoutMs ?? 30_000} ms`
          : typeof e.code === 'string'
            ? e.code
            : stderr.trim() || stdout.trim() || `exit code ${code}`;
        reject(new CommandError(`${file} ${args.join(' ')}: ${why}`, code, stderr));
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input ?? '');
  });
}

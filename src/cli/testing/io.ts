/** A captured `CliIO` for driving `run()` in tests. */
import type { CliIO } from '../context.js';

/** Buffers stdout/stderr; `stdin` yields the given text. */
export interface CapturedIO extends CliIO {
  out(): string;
  errText(): string;
}

export function captureIO(
  opts: {
    env?: Record<string, string | undefined>;
    stdin?: string;
    cwd?: string;
    signal?: AbortSignal;
    now?: () => number;
  } = {},
): CapturedIO {
  let out = '';
  let err = '';
  const stdinText = opts.stdin ?? '';
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    stdin: (async function* () {
      if (stdinText !== '') yield await Promise.resolve(stdinText);
    })(),
    env: opts.env ?? {},
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    out: () => out,
    errText: () => err,
  };
}

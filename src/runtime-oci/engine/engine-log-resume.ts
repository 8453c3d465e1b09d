/**
 * The daemon's time of each line of an Engine API container's output, and where an adopted
 * container's log resumes (issue 20: agent upgrades). The agent asks for the log stream with
 * `timestamps=true` and writes each line into the CRI log with the daemon's time, as precise as the
 * daemon gives it (dockerd: nanoseconds; podman 4: whole seconds), as the kubelet's runtimes stamp a
 * line when they read it rather than when the file is written. The daemon holds the output while no
 * agent runs; the next agent asks for it again from the second of the log's last line, skips what is
 * stamped before that line, then as many lines stamped like it as the log ends with: nothing twice,
 * nothing lost. (The agent's own write time would not do: an agent lagging behind the container
 * writes a line after the daemon stamped the next ones, and those would be skipped.)
 */
import { open, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Where a log resumes: from `sinceSeconds`, after `written` lines stamped `atNs` (ns since the epoch). */
export interface LogCutoff {
  sinceSeconds: number;
  atNs: bigint;
  written: number;
}

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d) /;
/** How much of a log's end is read to find its last line (the writer splits lines at 16 KiB). */
const TAIL_BYTES = 64 * 1024;

/** Nanoseconds since the epoch of an RFC 3339 time at the start of `text` (with its space); undefined if none. */
export function stampOf(text: string): { ns: bigint; length: number } | undefined {
  const m = STAMP.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return { ns: BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0')), length: m[0].length };
}

/** `ns` (since the epoch) as the CRI log writes times: `2024-05-01T12:00:00.123456789Z`. */
export function formatNs(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`;
}

/** A frame of the daemon's log stream asked with `timestamps=true`: its text and the daemon's time. */
export function stampedFrame(frame: Buffer): { data: Buffer; ns?: bigint; at?: string } {
  const stamp = stampOf(frame.subarray(0, 40).toString('latin1'));
  if (!stamp) return { data: frame };
  return { data: frame.subarray(stamp.length), ns: stamp.ns, at: formatNs(stamp.ns) };
}

/**
 * Drops the frames of a resumed stream that the log holds already: those stamped before its last
 * line, then the first `written` lines stamped like it (a frame without a newline is the start of a
 * line: dropped with it).
 */
export function resumeFilter(cutoff: LogCutoff): (frame: { data: Buffer; ns?: bigint }) => Buffer | undefined {
  let left = cutoff.written;
  let done = false;
  return ({ data, ns }) => {
    if (done || ns === undefined || ns > cutoff.atNs) {
      done = true;
      return data;
    }
    if (ns < cutoff.atNs) return undefined;
    let at = 0;
    while (left > 0) {
      const nl = data.indexOf(10, at);
      if (nl < 0) return undefined; // the start of a line the log holds
      at = nl + 1;
      left--;
    }
    return at < data.length ? data.subarray(at) : undefined;
  };
}

/** The time of the last line of the CRI log file at `path`, and how many full lines at its end have it. */
async function lastLines(path: string): Promise<{ ns: bigint; count: number } | undefined> {
  const f = await open(path, 'r').catch(() => undefined);
  if (!f) return undefined;
  try {
    const { size } = await f.stat();
    const len = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(len);
    await f.read(buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n');
    let last: { ns: bigint; count: number } | undefined;
    for (let i = lines.length - 1; i >= 0; i--) {
      const line = lines[i] ?? '';
      const stamp = stampOf(line);
      if (!stamp) continue;
      if (last && stamp.ns !== last.ns) break;
      last ??= { ns: stamp.ns, count: 0 };
      // `<time> <stream> F <text>`: a full line (a `P` one is part of a longer line).
      if (line.slice(stamp.length).split(' ', 2)[1] === 'F') last.count++;
    }
    return last;
  } finally {
    await f.close();
  }
}

/**
 * Where the log at `logPath` resumes: after its last line (or, when a rotation left the live file
 * empty, the newest rotated file's). Undefined when no line was logged: the whole output is copied.
 */
export async function logCutoff(logPath: string): Promise<LogCutoff | undefined> {
  let last = await lastLines(logPath);
  if (last === undefined) {
    const prefix = `${basename(logPath)}.`;
    const rotated = (await readdir(dirname(logPath)).catch(() => [] as string[]))
      .filter((n) => n.startsWith(prefix))
      .sort();
    const newest = rotated.at(-1);
    if (newest !== undefined) last = await lastLines(join(dirname(logPath), newest));
  }
  if (last === undefined) return undefined;
  return { atNs: last.ns, written: last.count, sinceSeconds: Number(last.ns / 1_000_000_000n) };
}

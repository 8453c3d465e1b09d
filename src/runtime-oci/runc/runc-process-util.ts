/** Small helpers of runc-process.ts: the tty shell line, files it reads, signal numbers. */
import { readFile } from 'node:fs/promises';

/** How much of runc's stderr (or its log) is kept for the exit message. */
export const STDERR_TAIL = 4096;

/**
 * The shell line `script` runs for a container on a terminal: note the pty's path (for resizes), then
 * become runc. Every argument is single-quoted, so nothing of it is read by the shell.
 */
export function ttyRun(runc: string, args: readonly string[], ttyFile: string): string {
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  return `tty > ${q(ttyFile)} && exec ${[runc, ...args].map(q).join(' ')}`;
}

/** The last bytes of a file; empty when it is missing. */
export async function readTail(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return `\n${text.slice(-STDERR_TAIL)}`;
}

export async function readPid(file: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

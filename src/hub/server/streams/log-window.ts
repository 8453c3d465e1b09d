/**
 * The part of a log request the hub applies itself, on the text the node streams: `sinceSeconds` /
 * `sinceTime` (lines older than the cutoff are dropped; the node is asked for timestamps to decide,
 * and they are stripped again unless the client asked for them) and `limitBytes` (the stream ends
 * after that many bytes). As in the kubelet, `tailLines` is applied first (by the node), then since.
 */
import { BadRequestError } from '../../../api/index.js';

/** What to filter: a cutoff (ms since the epoch), a byte limit, and whether the client wants timestamps. */
export interface LogWindow {
  sinceMs?: number;
  limitBytes?: number;
  timestamps: boolean;
}

/** A line's leading timestamp as the node writes it (RFC 3339, nanoseconds). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
/** Longest partial line held while waiting for its end (a longer one is passed on as it is). */
const MAX_HELD_LINE_CHARS = 64 * 1024;

/** The window a log request's query asks for; undefined when it asks for none. */
export function logWindow(query: Record<string, string | undefined>, now: number): LogWindow | undefined {
  const { sinceSeconds, sinceTime, limitBytes } = query;
  if (sinceSeconds !== undefined && sinceTime !== undefined)
    throw new BadRequestError('at most one of sinceTime or sinceSeconds may be specified', [
      { field: 'sinceSeconds', message: 'Forbidden: at most one of sinceTime or sinceSeconds may be specified' },
    ]);
  const window: LogWindow = { timestamps: ['true', '1', ''].includes(query.timestamps ?? 'false') };
  if (sinceSeconds !== undefined) {
    const n = Number(sinceSeconds);
    if (!/^\d+$/.test(sinceSeconds) || n < 1)
      throw new BadRequestError(`sinceSeconds must be a positive integer, got "${sinceSeconds}"`, [
        { field: 'sinceSeconds', message: 'Invalid value: must be greater than 0' },
      ]);
    window.sinceMs = now - n * 1000;
  }
  if (sinceTime !== undefined) {
    const t = /^\d{4}-\d{2}-\d{2}T/.test(sinceTime) ? Date.parse(sinceTime) : NaN;
    if (!Number.isFinite(t))
      throw new BadRequestError(`sinceTime must be an RFC 3339 time, got "${sinceTime}"`, [
        { field: 'sinceTime', message: 'Invalid value: must be an RFC 3339 time' },
      ]);
    window.sinceMs = t;
  }
  if (limitBytes !== undefined) {
    const n = Number(limitBytes);
    if (!/^\d+$/.test(limitBytes) || n < 1 || !Number.isSafeInteger(n))
      throw new BadRequestError(`limitBytes must be a positive integer, got "${limitBytes}"`, [
        { field: 'limitBytes', message: 'Invalid value: must be greater than 0' },
      ]);
    window.limitBytes = n;
  }
  return window.sinceMs === undefined && window.limitBytes === undefined ? undefined : window;
}

/** Applies a window to log text pushed chunk by chunk (each chunk's lines carry timestamps when `sinceMs` is set). */
export class LogWindowFilter {
  #held = '';
  #sent = 0;
  #full = false;

  constructor(private readonly window: LogWindow) {}

  /** Whether `limitBytes` has been reached (nothing more will be let through). */
  get full(): boolean {
    return this.#full;
  }

  /** The part of `chunk` (with any held partial line) to pass on. */
  push(chunk: string): string {
    if (this.#full) return '';
    if (this.window.sinceMs === undefined) return this.#limit(chunk);
    const text = this.#held + chunk;
    const cut = text.lastIndexOf('\n') + 1;
    this.#held = text.slice(cut);
    let out = this.#lines(text.slice(0, cut));
    if (this.#held.length > MAX_HELD_LINE_CHARS) {
      out += this.#lines(this.#held);
      this.#held = '';
    }
    return this.#limit(out);
  }

  /** What is left when the log ends (a last line without a newline). */
  end(): string {
    const rest = this.#held;
    this.#held = '';
    return this.#full || rest === '' ? '' : this.#limit(this.window.sinceMs === undefined ? rest : this.#lines(rest));
  }

  /** Keeps lines at or after the cutoff; strips the timestamp unless the client asked for it. */
  #lines(text: string): string {
    let out = '';
    for (const line of text.split(/(?<=\n)/)) {
      if (line === '') continue;
      const space = line.indexOf(' ');
      const stamp = space > 0 ? line.slice(0, space) : '';
      const at = RFC3339.test(stamp) ? Date.parse(stamp) : NaN;
      // A line without a timestamp (not in CRI format) cannot be placed in time: it is kept.
      if (Number.isFinite(at) && at < (this.window.sinceMs ?? 0)) continue;
      out += Number.isFinite(at) && !this.window.timestamps ? line.slice(space + 1) : line;
    }
    return out;
  }

  /** Passes `text` on up to `limitBytes` in all (whole characters). */
  #limit(text: string): string {
    const max = this.window.limitBytes;
    if (max === undefined || text === '') return text;
    const bytes = Buffer.byteLength(text, 'utf8');
    if (this.#sent + bytes < max) {
      this.#sent += bytes;
      return text;
    }
    let room = max - this.#sent;
    let end = 0;
    for (const ch of text) {
      const n = Buffer.byteLength(ch, 'utf8');
      if (n > room) break;
      room -= n;
      end += ch.length;
    }
    this.#sent = max;
    this.#full = true;
    return text.slice(0, end);
  }
}

/** `source` with the window applied; ends (closing `source`) once `limitBytes` is reached. */
export async function* windowed(source: AsyncIterable<string>, window: LogWindow): AsyncIterable<string> {
  const filter = new LogWindowFilter(window);
  for await (const chunk of source) {
    const out = filter.push(chunk);
    if (out !== '') yield out;
    if (filter.full) return;
  }
  const rest = filter.end();
  if (rest !== '') yield rest;
}

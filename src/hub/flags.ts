/** Parsers of the hub's command-line flags. */
import { InvalidArgumentError } from 'commander';
import { parseDurationSeconds } from '../api/index.js';

/** Parses `10s`, `2m`, `500ms` or a plain number of seconds into seconds. */
export function parseDuration(text: string): number {
  const seconds = parseDurationSeconds(text);
  if (seconds === undefined) throw new InvalidArgumentError(`"${text}" is not a duration (e.g. 10s, 2m, 500ms)`);
  return seconds;
}

/** Parses `host:port` (`[::1]:7400`, `0.0.0.0:7400`, `:7400`). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`"${text}" is not host:port (e.g. 127.0.0.1:7400)`);
  const port = Number(m[3]);
  if (port > 65535) throw new InvalidArgumentError(`port ${port} is out of range`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

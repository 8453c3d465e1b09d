/** Parsers of the hub's command-line flags. */
import { InvalidArgumentError } from 'commander';
import { parseDurationSeconds, parseQuantity } from '../api/index.js';

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

/** Parses a byte size as a Kubernetes quantity (`10Gi`, `512Mi`, `1G`, `1048576`); at least 1 byte. */
export function parseBytes(text: string): number {
  const v = parseQuantity(text);
  if (v === undefined || v < 1 || v > Number.MAX_SAFE_INTEGER)
    throw new InvalidArgumentError(`"${text}" is not a size in bytes (e.g. 10Gi, 512Mi, 1G)`);
  return Math.floor(v);
}

/** Parses a whole number of at least 1. */
export function parsePositiveInt(text: string): number {
  const v = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(v) || v < 1)
    throw new InvalidArgumentError(`"${text}" is not a whole number of at least 1`);
  return v;
}

/** Parses a duration (as `parseDuration`) that must be longer than zero. */
export function parsePositiveDuration(text: string): number {
  const seconds = parseDuration(text);
  if (seconds <= 0) throw new InvalidArgumentError(`"${text}" must be longer than zero`);
  return seconds;
}

/** Parses a rate per second: a number of at least 0 (`0.1`; 0 stops what it paces). */
export function parseRate(text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0)
    throw new InvalidArgumentError(`"${text}" is not a rate per second of at least 0 (e.g. 0.1)`);
  return v;
}

/** Parses a whole number of at least 0 (`256`; `0` turns a bound off). */
export function parseCount(text: string): number {
  const v = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(v))
    throw new InvalidArgumentError(`"${text}" is not a whole number of at least 0 (e.g. 256)`);
  return v;
}

/** Parses a fraction in (0, 1] (`0.55`). */
export function parseFraction(text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v <= 0 || v > 1)
    throw new InvalidArgumentError(`"${text}" is not a fraction above 0 and at most 1 (e.g. 0.55)`);
  return v;
}

/** Parses `--hpa-sync-period`: a duration of at least one second (Kubernetes' default is 15 s). */
export function parseHpaSyncPeriod(text: string): number {
  const seconds = parseDuration(text);
  if (seconds < 1) throw new InvalidArgumentError(`"${text}" is shorter than the shortest HPA sync period, 1s`);
  return seconds;
}

/** The store backends `--store` names. */
export const STORE_KINDS = ['sqlite', 'etcd'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** Parses `--store`: `sqlite` (the embedded default) or `etcd`. */
export function parseStoreKind(text: string): StoreKind {
  const v = text.trim();
  if (!(STORE_KINDS as readonly string[]).includes(v))
    throw new InvalidArgumentError(`"${text}" is not a store (one of: ${STORE_KINDS.join(', ')})`);
  return v as StoreKind;
}

/**
 * Parses `--etcd-endpoints a,b,c`: `host:port`, `http://host:port` or `https://host:port`, at least one,
 * no duplicates.
 */
export function parseEtcdEndpoints(text: string): string[] {
  const list = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (list.length === 0) throw new InvalidArgumentError('no etcd endpoint given (e.g. http://127.0.0.1:2379)');
  for (const ep of list) {
    const m = /^(?:(https?):\/\/)?(\[[^\]]+\]|[^:/[\]]+):(\d+)\/?$/.exec(ep);
    if (!m || Number(m[3]) < 1 || Number(m[3]) > 65535)
      throw new InvalidArgumentError(`"${ep}" is not an etcd endpoint (e.g. http://127.0.0.1:2379 or host:2379)`);
  }
  if (new Set(list).size !== list.length) throw new InvalidArgumentError(`"${text}" names an endpoint twice`);
  return list;
}

/** Parses `--etcd-prefix`: an absolute key prefix (`/edgeplane`, `/clusters/a`) without spaces. */
export function parseEtcdPrefix(text: string): string {
  const v = text.trim();
  if (!/^\/[\x21-\x7e]*$/.test(v))
    throw new InvalidArgumentError(
      `"${text}" is not a key prefix: it starts with / and has no spaces (e.g. /edgeplane)`,
    );
  return v;
}

/** Parses a boolean flag value as Kubernetes' flags take it (`--leader-elect=false`): true/false, 1/0. */
export function parseBool(text: string): boolean {
  const v = text.trim().toLowerCase();
  if (v === 'true' || v === '1' || v === 't') return true;
  if (v === 'false' || v === '0' || v === 'f') return false;
  throw new InvalidArgumentError(`"${text}" is not a boolean (true or false)`);
}

/** kubectl's `--dry-run[=none|client|server]` flag, shared by the writing commands. */
import { UsageError } from '../errors.js';

/** `--dry-run`: none (write), client (print only) or server (the hub validates and merges, stores nothing). */
export type DryRun = 'none' | 'client' | 'server';

/** Parses `--dry-run[=none|client|server]` (a bare flag means client, as in kubectl). */
export function dryRunMode(value: string | boolean | undefined, command: string): DryRun {
  if (value === undefined || value === false || value === 'none') return 'none';
  if (value === true || value === 'client' || value === 'true') return 'client';
  if (value === 'server') return 'server';
  throw new UsageError(
    `Invalid dry-run value (${String(value)}). Must be "none", "server", or "client".`,
    `edgectl ${command} --help`,
  );
}

/** The suffix kubectl adds to the line of an object written in a dry run. */
export function dryRunSuffix(mode: DryRun): string {
  return mode === 'client' ? ' (dry run)' : mode === 'server' ? ' (server dry run)' : '';
}

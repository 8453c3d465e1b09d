/**
 * Keeps Node's one-time "SQLite is an experimental feature" warning out of users' logs. Node 22 emits
 * it when `node:sqlite` is first loaded (Node 24 no longer does). `--no-warnings` would hide every other
 * warning too, so instead `process.emitWarning` is filtered for exactly that warning, and only while
 * `load` runs: Node emits it synchronously while loading the module.
 */

const SQLITE_EXPERIMENTAL = 'SQLite is an experimental feature';

/** Runs `load` with the SQLite ExperimentalWarning dropped; every other warning passes through. */
export function withoutSqliteExperimentalWarning<T>(load: () => T): T {
  // Put back as it was (not a bound copy), and only ever called with `process` as `this` below.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const emitWarning = process.emitWarning;
  const filtered = (warning: string | Error, ...rest: unknown[]): void => {
    const option = rest[0];
    const type = typeof option === 'string' ? option : (option as { type?: unknown } | undefined)?.type;
    const message = typeof warning === 'string' ? warning : warning.message;
    if (type === 'ExperimentalWarning' && message.startsWith(SQLITE_EXPERIMENTAL)) return;
    Reflect.apply(emitWarning, process, [warning, ...rest]);
  };
  process.emitWarning = filtered;
  try {
    return load();
  } finally {
    process.emitWarning = emitWarning;
  }
}

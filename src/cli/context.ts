/**
 * What every command gets: the process's streams and environment (injected, so `run()` is testable
 * in-process), the global flags, and a lazily created client of the configured hub.
 */
import type { EdgeClient } from './client/index.js';
import type { Connection, EdgeConfig } from './config/index.js';
import { configFileExists, configPath, emptyConfig } from './config/path.js';
import { readConfigLight } from './config/read-light.js';
import { requireServer, resolveConnection } from './config/resolve.js';
import { ConfigError } from './errors.js';
import { formatError } from './printers/errors.js';

/** A writable text sink (process.stdout, or a buffer in tests). */
export interface TextSink {
  write(chunk: string): unknown;
}

/** The process surroundings `run()` works with. */
export interface CliIO {
  stdout: TextSink;
  stderr: TextSink;
  /** Read for `apply -f -`. */
  stdin: AsyncIterable<string | Uint8Array>;
  env: Readonly<Record<string, string | undefined>>;
  /** Working directory for relative paths (default `process.cwd()`). */
  cwd?: string;
  /** Aborted on Ctrl-C: ends `get -w` and `logs -f` cleanly. */
  signal?: AbortSignal;
  /** Clock for AGE columns (default `Date.now`). */
  now?: () => number;
}

/** Flags every command accepts. */
export interface GlobalFlags {
  server?: string;
  /** `--token-file`: a token is never a command-line value (`ps` shows those to every user). */
  tokenFile?: string;
  config?: string;
  context?: string;
  namespace?: string;
}

/** Per-invocation state shared by the commands. */
export class CliContext {
  readonly io: CliIO;
  /** Set to 1 by commands that report some errors and carry on (kubectl's habit). */
  exitCode = 0;
  #globals: GlobalFlags = {};
  #client: EdgeClient | undefined;
  #conn: Promise<{ conn: Connection; config: EdgeConfig; file: string }> | undefined;
  readonly #never = new AbortController();

  constructor(io: CliIO) {
    this.io = io;
  }

  get signal(): AbortSignal {
    return this.io.signal ?? this.#never.signal;
  }

  get cwd(): string {
    return this.io.cwd ?? process.cwd();
  }

  now(): number {
    return this.io.now ? this.io.now() : Date.now();
  }

  setGlobals(flags: GlobalFlags): void {
    this.#globals = flags;
  }

  get globals(): GlobalFlags {
    return this.#globals;
  }

  out(text: string): void {
    this.io.stdout.write(text);
  }

  err(text: string): void {
    this.io.stderr.write(text);
  }

  /** Prints an error the kubectl way and marks the run as failed, without stopping the command. */
  report(err: unknown): void {
    this.err(`${formatError(err)}\n`);
    this.exitCode = 1;
  }

  /** The config file path in effect. */
  configFile(): string {
    return configPath(this.#globals.config, this.io.env);
  }

  /** Resolved connection settings (flags > env > config file). */
  async connection(): Promise<Connection> {
    this.#conn ??= (async () => {
      const file = this.configFile();
      // The full parser (YAML and zod) loads only for a file the light reader cannot vouch for.
      const config = configFileExists(file)
        ? (readConfigLight(file)?.config ?? (await (await import('./config/file.js')).loadConfig(file)))
        : emptyConfig();
      return { conn: resolveConnection(this.#globals, this.io.env, config, file), config, file };
    })();
    return (await this.#conn).conn;
  }

  /** The namespace commands default to. */
  async namespace(): Promise<string> {
    return (await this.connection()).namespace;
  }

  /** The hub client, created on first use. */
  async client(): Promise<EdgeClient> {
    if (this.#client) return this.#client;
    const conn = await this.connection();
    if (!conn.server) this.#missingConfig();
    const { EdgeClient } = await import('./client/index.js');
    this.#client ??= new EdgeClient({
      server: requireServer(conn),
      token: conn.token,
      ca: conn.ca,
      insecureSkipTlsVerify: conn.insecureSkipTlsVerify,
      userAgent: 'edgectl',
    });
    return this.#client;
  }

  /**
   * No hub named, and the config file `--config` or EDGE_CONFIG names does not exist: that is the
   * mistake to report (a typo, a hub data dir gone), not "no hub" (an absent default file is normal).
   */
  #missingConfig(): void {
    const by = this.#globals.config ? '--config' : this.io.env.EDGE_CONFIG ? 'EDGE_CONFIG' : undefined;
    const file = this.configFile();
    if (by !== undefined && !configFileExists(file))
      throw new ConfigError(`the config file ${file} (${by}) does not exist`);
  }

  /** Releases the client's connections. */
  async close(): Promise<void> {
    await this.#client?.close();
  }

  /** Reads all of stdin as text. */
  async readStdin(): Promise<string> {
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of this.io.stdin)
      text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    return text + decoder.decode();
  }
}

/**
 * Which hub, token and namespace a command uses. Precedence, highest first: `--server`/`--token`/
 * `-n` flags, then `EDGE_SERVER`/`EDGE_TOKEN`/`EDGE_NAMESPACE`, then the context of the config file
 * (`--context NAME`, else `current-context`), then `default` for the namespace.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import type { EdgeConfig } from './file.js';

/** Connection flags as given on the command line. */
export interface ConnectionFlags {
  server?: string | undefined;
  /** `--token-file`: the file holding the bearer token. */
  tokenFile?: string | undefined;
  context?: string | undefined;
  namespace?: string | undefined;
}

/** Resolved settings of one invocation. */
export interface Connection {
  /** Undefined when nothing names a hub: `requireServer` turns that into an error. */
  server: string | undefined;
  token: string | undefined;
  namespace: string;
  /** True when `-n` (or the environment) named the namespace, rather than the context or the default. */
  namespaceExplicit: boolean;
  context: string | undefined;
  ca: string | Buffer | undefined;
  insecureSkipTlsVerify: boolean;
}

/** Applies the precedence rules. Throws ConfigError for a context that does not exist. */
export function resolveConnection(
  flags: ConnectionFlags,
  env: Readonly<Record<string, string | undefined>>,
  config: EdgeConfig,
  configFile: string,
): Connection {
  const ctxName = flags.context || config['current-context'] || undefined;
  const ctx = ctxName === undefined ? undefined : config.contexts.find((c) => c.name === ctxName);
  if (ctxName !== undefined && !ctx && (flags.context || !(flags.server || env.EDGE_SERVER))) {
    throw new ConfigError(`context "${ctxName}" not found in ${configFile}`);
  }
  const cluster = ctx ? config.clusters.find((c) => c.name === ctx.context.cluster) : undefined;
  if (ctx && !cluster && !(flags.server || env.EDGE_SERVER)) {
    throw new ConfigError(
      `context "${ctxName}" refers to cluster "${ctx.context.cluster}", which is not in ${configFile}`,
    );
  }
  const user = ctx?.context.user ? config.users.find((u) => u.name === ctx.context.user) : undefined;
  const nsFlag = flags.namespace || env.EDGE_NAMESPACE || undefined;
  const c = cluster?.cluster;
  let ca: string | Buffer | undefined;
  if (env.EDGE_CA_FILE) ca = readFileOr(env.EDGE_CA_FILE, `cannot read EDGE_CA_FILE ${env.EDGE_CA_FILE}`);
  else if (c?.['certificate-authority-data']) ca = Buffer.from(c['certificate-authority-data'], 'base64');
  else if (c?.['certificate-authority']) {
    try {
      ca = readFileSync(c['certificate-authority']);
    } catch {
      throw new ConfigError(
        `cannot read certificate-authority ${c['certificate-authority']} of cluster "${cluster?.name ?? ''}"`,
      );
    }
  }
  return {
    server: flags.server || env.EDGE_SERVER || c?.server || undefined,
    token:
      (flags.tokenFile ? readTokenFile(flags.tokenFile) : undefined) || env.EDGE_TOKEN || user?.user.token || undefined,
    namespace: nsFlag ?? (ctx?.context.namespace || 'default'),
    namespaceExplicit: nsFlag !== undefined,
    context: ctx ? ctxName : undefined,
    ca,
    insecureSkipTlsVerify: c?.['insecure-skip-tls-verify'] === true,
  };
}

function readFileOr(path: string, message: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    throw new ConfigError(message);
  }
}

/** Reads a token file (`--token-file`); surrounding whitespace is not part of the token. */
export function readTokenFile(path: string): string {
  const token = readFileOr(path, `cannot read the token file ${path}`).toString('utf8').trim();
  if (token === '') throw new ConfigError(`the token file ${path} is empty`);
  return token;
}

/** The server URL, or a ConfigError telling how to name one. */
export function requireServer(conn: Connection): string {
  if (conn.server) return conn.server;
  throw new ConfigError(
    'no hub to talk to: pass --server URL, set EDGE_SERVER, or create a context with `edgectl config set-context NAME --server URL --token-file FILE`',
  );
}

/** `edgectl config view|get-contexts|current-context|use-context|set-context|set-cluster`: the config file. */
import type { Command } from 'commander';
import { loadConfig, readTokenFile, saveConfig, type EdgeConfig } from '../config/index.js';
import type { CliContext } from '../context.js';
import { ConfigError, UsageError } from '../errors.js';
import { renderTable, toJson, toYaml } from '../printers/index.js';
import { flatten, setCluster, type SetClusterFlags } from './config-cluster.js';

/** A copy of the config with tokens and key data hidden (what `config view` prints without --raw). */
export function redact(config: EdgeConfig): EdgeConfig {
  return {
    ...config,
    users: config.users.map((u) => ({ ...u, user: { ...u.user, ...(u.user.token ? { token: 'REDACTED' } : {}) } })),
    clusters: config.clusters.map((c) => ({
      ...c,
      cluster: {
        ...c.cluster,
        ...(c.cluster['certificate-authority-data'] ? { 'certificate-authority-data': 'DATA+OMITTED' } : {}),
      },
    })),
  };
}

/**
 * The config cut to one context (the current one unless named) with its cluster and user, and that
 * context current: with `--raw`, a kubeconfig kubectl takes as it is (`kubectl config view --minify`).
 */
export function minify(config: EdgeConfig, name = config['current-context']): EdgeConfig {
  const ctx = config.contexts.find((c) => c.name === name);
  if (!name || !ctx)
    throw new ConfigError(name ? `no context exists with the name: "${name}"` : 'current-context is not set');
  return {
    ...config,
    clusters: config.clusters.filter((c) => c.name === ctx.context.cluster),
    users: config.users.filter((u) => u.name === ctx.context.user),
    contexts: [ctx],
    'current-context': ctx.name,
  };
}

export interface SetContextFlags {
  server?: string;
  tokenFile?: string;
  namespace?: string;
  current?: boolean;
}

/** Creates or updates context NAME (with a cluster and a user of the same name when it has none). */
export function setContext(config: EdgeConfig, name: string, flags: SetContextFlags): EdgeConfig {
  const next: EdgeConfig = {
    ...config,
    clusters: [...config.clusters],
    users: [...config.users],
    contexts: [...config.contexts],
  };
  const existing = next.contexts.find((c) => c.name === name);
  const ctx = existing
    ? { ...existing, context: { ...existing.context } }
    : { name, context: { cluster: name, user: name } };
  if (flags.namespace !== undefined) ctx.context.namespace = flags.namespace;
  if (flags.server !== undefined) {
    const i = next.clusters.findIndex((c) => c.name === ctx.context.cluster);
    const cluster = {
      name: ctx.context.cluster,
      cluster: { ...(next.clusters[i]?.cluster ?? {}), server: flags.server },
    };
    if (i >= 0) next.clusters[i] = cluster;
    else next.clusters.push(cluster);
  } else if (!next.clusters.some((c) => c.name === ctx.context.cluster)) {
    throw new UsageError(`context "${name}" needs a hub: pass --server URL`, 'edgectl config set-context --help');
  }
  if (flags.tokenFile !== undefined) {
    const token = readTokenFile(flags.tokenFile);
    ctx.context.user ??= name;
    const userName = ctx.context.user;
    const i = next.users.findIndex((u) => u.name === userName);
    const user = { name: userName, user: { ...(next.users[i]?.user ?? {}), token } };
    if (i >= 0) next.users[i] = user;
    else next.users.push(user);
  }
  const ci = next.contexts.findIndex((c) => c.name === name);
  if (ci >= 0) next.contexts[ci] = ctx;
  else next.contexts.push(ctx);
  // The first context of a fresh file becomes current, so `set-context` alone gets a user going.
  if (flags.current || !next['current-context']) next['current-context'] = name;
  return next;
}

/** Registers the `config` command group. */
export function registerConfig(program: Command, ctx: CliContext): void {
  const config = program.command('config').description('Modify and view the edgectl config file (~/.edge/config)');
  const load = async (): Promise<{ file: string; cfg: EdgeConfig }> => {
    const file = ctx.configFile();
    return { file, cfg: await loadConfig(file) };
  };

  config
    .command('view')
    .description('Show the config file (tokens hidden unless --raw)')
    .option('--raw', 'show tokens and certificate data')
    .option('--minify', 'only the current context (or the global --context), with its cluster and user')
    .option('--flatten', 'embed certificate-authority files as certificate-authority-data (a self-contained file)')
    .option('-o, --output <format>', 'yaml (default) or json')
    .action(async (flags: { raw?: boolean; minify?: boolean; flatten?: boolean; output?: string }) => {
      const { cfg: whole } = await load();
      const picked = flags.minify ? minify(whole, ctx.globals.context ?? whole['current-context']) : whole;
      const cfg = flags.flatten ? flatten(picked) : picked;
      const shown = flags.raw ? cfg : redact(cfg);
      if (flags.output === 'json') ctx.out(toJson(shown));
      else if (flags.output === undefined || flags.output === 'yaml') ctx.out(toYaml(shown));
      else
        throw new UsageError(
          `unsupported output format "${flags.output}" (json or yaml)`,
          'edgectl config view --help',
        );
    });

  config
    .command('get-contexts')
    .description('List the contexts of the config file')
    .option('--no-headers', 'do not print headers')
    .action(async (flags: { headers?: boolean }) => {
      const { cfg } = await load();
      const rows = cfg.contexts.map((c) => [
        c.name === cfg['current-context'] ? '*' : '',
        c.name,
        c.context.cluster,
        c.context.user ?? '',
        c.context.namespace ?? '',
      ]);
      if (flags.headers !== false) rows.unshift(['CURRENT', 'NAME', 'CLUSTER', 'AUTHINFO', 'NAMESPACE']);
      ctx.out(renderTable(rows));
    });

  config
    .command('current-context')
    .description('Print the current context')
    .action(async () => {
      const { cfg, file } = await load();
      if (!cfg['current-context']) throw new ConfigError(`current-context is not set in ${file}`);
      ctx.out(`${cfg['current-context']}\n`);
    });

  config
    .command('use-context')
    .description('Set the current context')
    .argument('<name>')
    .action(async (name: string) => {
      const { cfg, file } = await load();
      if (!cfg.contexts.some((c) => c.name === name))
        throw new ConfigError(`no context exists with the name: "${name}" in ${file}`);
      await saveConfig(file, { ...cfg, 'current-context': name });
      ctx.out(`Switched to context "${name}".\n`);
    });

  config
    .command('set-context')
    .description('Create or change a context (with its hub URL and token)')
    .argument('<name>')
    .option('--server <url>', 'hub URL of the context')
    .option('--token-file <path>', 'file holding the bearer token of the context')
    .option('--namespace <ns>', 'default namespace of the context')
    .option('--certificate-authority <file>', 'CA (PEM) of the hub of the context')
    .option('--embed-certs', 'store the CA file’s content rather than its path')
    .option('--current', 'also make it the current context')
    .action(async (name: string, _flags: SetContextFlags, cmd: Command) => {
      // --server/--token-file/--namespace are also program-wide flags, and commander gives them to the
      // program: read them merged.
      const flags = cmd.optsWithGlobals<SetContextFlags & SetClusterFlags>();
      const { cfg, file } = await load();
      const existed = cfg.contexts.some((c) => c.name === name);
      let next = setContext(cfg, name, flags);
      if (flags.certificateAuthority !== undefined || flags.embedCerts) {
        const cluster = next.contexts.find((c) => c.name === name)!.context.cluster;
        const { certificateAuthority, embedCerts } = flags;
        next = setCluster(next, cluster, {
          ...(certificateAuthority !== undefined ? { certificateAuthority } : {}),
          ...(embedCerts ? { embedCerts } : {}),
        });
      }
      await saveConfig(file, next);
      ctx.out(`Context "${name}" ${existed ? 'modified' : 'created'}.\n`);
    });

  config
    .command('set-cluster')
    .description('Create or change a cluster: its hub URL and the CA of the hub’s certificate')
    .argument('<name>')
    .option('--server <url>', 'hub URL of the cluster')
    .option('--certificate-authority <file>', 'CA (PEM) that signed the hub’s serving certificate')
    .option('--embed-certs', 'store the CA file’s content (certificate-authority-data) rather than its path')
    .option('--insecure-skip-tls-verify', 'do not verify the hub’s certificate (clears the CA)')
    .action(async (name: string, _flags: SetClusterFlags, cmd: Command) => {
      const flags = cmd.optsWithGlobals<SetClusterFlags>();
      const { cfg, file } = await load();
      await saveConfig(file, setCluster(cfg, name, flags));
      ctx.out(`Cluster "${name}" set.\n`);
    });
}

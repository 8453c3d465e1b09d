/**
 * The edgectl config file: kubeconfig's layout (clusters, users, contexts, current-context) in YAML,
 * at `--config PATH`, else `$EDGE_CONFIG`, else `~/.edge/config`. It holds tokens, so it is written
 * with mode 0600.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { errorMessage, formatPath } from '../../api/lite.js';
import { writeFileDurable } from '../../durable/index.js';
import { ConfigError } from '../errors.js';
import { emptyConfig } from './path.js';

// Non-strict objects: fields kubeconfig has and edgectl ignores (client certs, extensions) survive a rewrite.
const NamedCluster = z.looseObject({
  name: z.string().min(1),
  cluster: z.looseObject({
    server: z.string().min(1),
    'certificate-authority': z.string().optional(),
    'certificate-authority-data': z.string().optional(),
    'insecure-skip-tls-verify': z.boolean().optional(),
  }),
});
const NamedUser = z.looseObject({ name: z.string().min(1), user: z.looseObject({ token: z.string().optional() }) });
const NamedContext = z.looseObject({
  name: z.string().min(1),
  context: z.looseObject({ cluster: z.string(), user: z.string().optional(), namespace: z.string().optional() }),
});

export const EdgeConfig = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  clusters: z.array(NamedCluster).default([]),
  users: z.array(NamedUser).default([]),
  contexts: z.array(NamedContext).default([]),
  'current-context': z.string().optional(),
});
/** The parsed config file. */
export type EdgeConfig = z.infer<typeof EdgeConfig>;

/** Reads and validates the config file; a missing file is an empty config. */
export async function loadConfig(path: string): Promise<EdgeConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return emptyConfig();
    throw new ConfigError(`cannot read the config file ${path}: ${errorMessage(err)}`);
  }
  let raw: unknown;
  try {
    raw = parse(text) ?? {};
  } catch (err) {
    throw new ConfigError(`the config file ${path} is not valid YAML: ${errorMessage(err)}`);
  }
  const parsed = EdgeConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `the config file ${path} is invalid: ${issue ? `${formatPath(issue.path)}: ${issue.message}` : 'unknown error'}`,
    );
  }
  return parsed.data;
}

/** Writes the config file atomically with mode 0600 (it holds tokens), creating `~/.edge` (0700). */
export async function saveConfig(path: string, config: EdgeConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileDurable(path, stringify(config, { indentSeq: false }), { mode: 0o600 });
}

/**
 * Where the config file is, and what an absent one means; apart from its parser, so a run with no
 * config file (the settings in EDGE_SERVER/EDGE_TOKEN) loads neither YAML nor zod.
 */
import { accessSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where the config file is: `--config`, else `EDGE_CONFIG`, else `~/.edge/config`. */
export function configPath(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  if (flag) return flag;
  if (env.EDGE_CONFIG) return env.EDGE_CONFIG;
  return join(env.HOME || homedir(), '.edge', 'config');
}

/** An empty config, as used when the file does not exist yet (an `EdgeConfig`). */
export function emptyConfig(): { apiVersion: string; kind: string; clusters: []; users: []; contexts: [] } {
  return { apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [] };
}

/** Whether a config file is at `path` (any error but ENOENT counts as yes: its parser reports it). */
export function configFileExists(path: string): boolean {
  try {
    // Sync: node:fs is loaded with node itself; fs/promises (and the readline it pulls in) is not.
    accessSync(path);
    return true;
  } catch (err) {
    return (err as { code?: unknown }).code !== 'ENOENT';
  }
}

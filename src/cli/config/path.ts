/** Where the config file is; apart from its parser so a run that needs only the path loads neither YAML nor zod. */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where the config file is: `--config`, else `EDGE_CONFIG`, else `~/.edge/config`. */
export function configPath(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  if (flag) return flag;
  if (env.EDGE_CONFIG) return env.EDGE_CONFIG;
  return join(env.HOME || homedir(), '.edge', 'config');
}

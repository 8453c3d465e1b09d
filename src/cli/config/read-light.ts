/**
 * The config file read without `yaml` and zod, for commands that only need to know which hub to
 * call: `file.ts`'s parser and schema cost ~190 ms of CPU at start-up (bench/cli-startup.ts, "config
 * file"), more than the rest of `edgectl get pods`. A file this reader cannot vouch for (YAML outside
 * `light-yaml.ts`'s subset, or a shape the schema would refuse) gives `undefined`, and the caller
 * loads it with `loadConfig`, which reads it fully and words the error. `read-light.test.ts` holds
 * the verdicts to the zod schema's.
 */
import { readFileSync } from 'node:fs';
import type { EdgeConfig } from './file.js';
import { emptyConfig } from './path.js';
import { parseSimpleYaml } from './light-yaml.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const optString = (o: Obj, k: string): boolean => o[k] === undefined || typeof o[k] === 'string';
const optBool = (o: Obj, k: string): boolean => o[k] === undefined || typeof o[k] === 'boolean';
const name = (o: Obj): boolean => typeof o['name'] === 'string' && o['name'] !== '';
// A key present with the value undefined cannot come out of YAML, so "absent" and "undefined" agree.

function cluster(v: unknown): boolean {
  if (!isObj(v) || !name(v) || !isObj(v['cluster'])) return false;
  const c = v['cluster'];
  return (
    typeof c['server'] === 'string' &&
    c['server'] !== '' &&
    optString(c, 'certificate-authority') &&
    optString(c, 'certificate-authority-data') &&
    optBool(c, 'insecure-skip-tls-verify')
  );
}

const user = (v: unknown): boolean => isObj(v) && name(v) && isObj(v['user']) && optString(v['user'], 'token');

function context(v: unknown): boolean {
  if (!isObj(v) || !name(v) || !isObj(v['context'])) return false;
  const c = v['context'];
  return typeof c['cluster'] === 'string' && optString(c, 'user') && optString(c, 'namespace');
}

const list = (v: unknown, item: (x: unknown) => boolean): boolean =>
  v === undefined || (Array.isArray(v) && v.every(item));

/** The parsed value as an `EdgeConfig`, when the schema would accept it as is; else undefined. */
export function readConfigShape(raw: unknown): EdgeConfig | undefined {
  const v = raw ?? {};
  if (!isObj(v)) return undefined;
  const ok =
    optString(v, 'apiVersion') &&
    optString(v, 'kind') &&
    optString(v, 'current-context') &&
    list(v['clusters'], cluster) &&
    list(v['users'], user) &&
    list(v['contexts'], context);
  if (!ok) return undefined;
  return { ...v, clusters: v['clusters'] ?? [], users: v['users'] ?? [], contexts: v['contexts'] ?? [] } as EdgeConfig;
}

/**
 * The config file at `path` read the light way: `{config}` when it is read and valid, `{config:
 * empty}` when it does not exist, `undefined` when `loadConfig` must decide (and word the error).
 */
export function readConfigLight(path: string): { config: EdgeConfig } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return { config: emptyConfig() };
    return undefined;
  }
  const parsed = parseSimpleYaml(text);
  if (!parsed) return undefined;
  const config = readConfigShape(parsed.value);
  return config ? { config } : undefined;
}

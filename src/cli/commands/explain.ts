/**
 * `edgectl explain TYPE[.FIELD...] [--recursive]`: a kind's schema from the hub's OpenAPI v3
 * document of its group-version (`/openapi/v3`, then the document it names), printed as kubectl's
 * plaintext explain prints it (`printers/explain.ts`).
 */
import type { Command } from 'commander';
import { EdgeError, StatusReason } from '../../api/lite.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { ExplainFieldError, explainBody, explainHeader } from '../printers/explain.js';
import { lookupType } from './resources.js';

interface ExplainFlags {
  recursive?: boolean;
  apiVersion?: string;
  output?: string;
}

const HELP = 'edgectl explain --help';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const asJson = (body: unknown): { ok: true; value: Json } | { ok: false; causes: [] } =>
  isObj(body) ? { ok: true, value: body } : { ok: false, causes: [] };

/** The explain failed after the header was printed (kubectl's `error: ...` line). */
class ExplainError extends EdgeError {
  constructor(message: string) {
    super(StatusReason.NotFound, 404, message);
  }
}

/** Runs `explain`. */
export async function runExplain(ctx: CliContext, target: string, flags: ExplainFlags): Promise<void> {
  if (flags.output !== undefined && flags.output !== 'plaintext')
    throw new UsageError(`invalid --output "${flags.output}": only plaintext is supported`, HELP);
  const [resource = '', ...path] = target.split('.');
  const type = lookupType(resource, 'explain');
  const gv = type.group ? `${type.group}/${type.version}` : type.version;
  if (flags.apiVersion !== undefined && flags.apiVersion !== gv)
    throw new UsageError(`couldn't find resource for "${flags.apiVersion}, Resource=${type.plural}"`, HELP);
  const client = await ctx.client();
  const index = await client.http.read(asJson, 'GET', '/openapi/v3', { signal: ctx.signal });
  const key = type.group ? `apis/${gv}` : `api/${gv}`;
  const entry = isObj(index['paths']) ? index['paths'][key] : undefined;
  const url = isObj(entry) && typeof entry['serverRelativeURL'] === 'string' ? entry['serverRelativeURL'] : undefined;
  if (url === undefined) throw new ExplainError(`couldn't find resource for "${gv}, Resource=${type.plural}"`);
  const [docPath = url, query = ''] = url.split('?');
  const doc = await client.http.read(asJson, 'GET', docPath, {
    query: Object.fromEntries(new URLSearchParams(query)),
    signal: ctx.signal,
  });
  const gvk = { group: type.group, version: type.version, kind: type.kind };
  // As kubectl, the header comes first, even when the field path then turns out not to exist.
  ctx.out(explainHeader(gvk));
  try {
    ctx.out(explainBody(doc, gvk, path, flags.recursive === true));
  } catch (err) {
    if (err instanceof ExplainFieldError) throw new ExplainError(err.message);
    throw err;
  }
}

/** Registers `explain`. */
export function registerExplain(program: Command, ctx: CliContext): void {
  program
    .command('explain')
    .description("Describe fields of a resource, from the hub's OpenAPI schema (TYPE.FIELD.FIELD...)")
    .argument('<type>', 'TYPE or TYPE.FIELD.FIELD (e.g. pods.spec.containers)')
    .option('--recursive', 'print the fields of fields, without their descriptions')
    .option('--api-version <group/version>', 'the API group/version of the resource')
    .option('-o, --output <format>', 'plaintext (the default)')
    .action(async (target: string, flags: ExplainFlags) => runExplain(ctx, target, flags));
}

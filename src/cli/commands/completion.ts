/**
 * `edgectl completion bash|zsh|fish`: a shell completion script written from the command tree itself
 * (commands, subcommands, flags) and the registry's resource types, so it cannot drift from the CLI.
 * Static on purpose: completing needs no hub and no second edgectl start per key press.
 */
import type { Command } from 'commander';
import { RESOURCE_TYPES } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;

// Commands whose first argument is a resource type.
const TAKES_TYPE = new Set(['get', 'describe', 'delete', 'edit', 'label', 'annotate', 'patch', 'wait', 'explain']);

interface Node {
  path: string[];
  words: string[];
  description: string;
  flags: { long?: string; short?: string; description: string }[];
}

function walk(cmd: Command, path: string[], out: Node[]): void {
  const subs = cmd.commands.filter((c) => c.name() !== 'help');
  const types = TAKES_TYPE.has(path[0] ?? '') && path.length === 1 ? typeWords() : [];
  out.push({
    path,
    words: [...subs.flatMap((c) => [c.name(), ...c.aliases()]), ...types],
    description: cmd.description(),
    flags: cmd.options.map((o) => ({
      ...(o.long ? { long: o.long } : {}),
      ...(o.short ? { short: o.short } : {}),
      description: o.description,
    })),
  });
  for (const c of subs) walk(c, [...path, c.name()], out);
}

function typeWords(): string[] {
  return RESOURCE_TYPES.flatMap((t) => [t.plural, ...t.shortNames]);
}

const q = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

function bash(nodes: Node[], globals: string[]): string {
  const cases = nodes
    .filter((n) => n.path.length > 0)
    .map((n) => {
      const words = [...n.words, ...n.flags.flatMap((f) => [f.long, f.short].filter((x): x is string => !!x))];
      return `    ${q(n.path.join(' '))}) words=${q(words.join(' '))} ;;`;
    });
  const top = nodes.find((n) => n.path.length === 0)?.words ?? [];
  const known = nodes.filter((n) => n.path.length > 0).map((n) => q(n.path.join(' ')));
  return `# edgectl completion for bash. Load it with: source <(edgectl completion bash)
_edgectl() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" next w i words
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    next="\${path:+$path }$w"
    case "$next" in
      ${known.join('|')}) path="$next" ;;
    esac
  done
  case "$path" in
    '') words=${q([...top, ...globals].join(' '))} ;;
${cases.join('\n')}
    *) words='' ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _edgectl edgectl
`;
}

function zsh(nodes: Node[], globals: string[]): string {
  return `#compdef edgectl
# edgectl completion for zsh. Load it with: source <(edgectl completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bash(nodes, globals).replace(/^# .*\n/, '')}`;
}

function fish(nodes: Node[]): string {
  const lines = ['# edgectl completion for fish. Load it with: edgectl completion fish | source'];
  lines.push('complete -c edgectl -f');
  for (const n of nodes) {
    const cond =
      n.path.length === 0
        ? '__fish_use_subcommand'
        : n.path.map((p) => `__fish_seen_subcommand_from ${p}`).join('; and ');
    const parent = nodes.find(
      (p) => p.path.length === n.path.length - 1 && n.path.slice(0, -1).join(' ') === p.path.join(' '),
    );
    if (parent && n.path.length > 0) {
      const pcond =
        parent.path.length === 0
          ? '__fish_use_subcommand'
          : parent.path.map((p) => `__fish_seen_subcommand_from ${p}`).join('; and ');
      lines.push(`complete -c edgectl -n ${q(pcond)} -a ${q(n.path[n.path.length - 1] ?? '')} -d ${q(n.description)}`);
    }
    if (TAKES_TYPE.has(n.path[0] ?? '') && n.path.length === 1)
      lines.push(`complete -c edgectl -n ${q(cond)} -a ${q(typeWords().join(' '))}`);
    for (const f of n.flags) {
      const parts = [`complete -c edgectl -n ${q(cond)}`];
      if (f.long) parts.push(`-l ${f.long.replace(/^--/, '')}`);
      if (f.short) parts.push(`-s ${f.short.replace(/^-/, '')}`);
      parts.push(`-d ${q(f.description)}`);
      lines.push(parts.join(' '));
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The completion script of `shell` for `program`. */
export function completionScript(program: Command, shell: string): string {
  if (!(SHELLS as readonly string[]).includes(shell))
    throw new UsageError(`Unsupported shell type "${shell}".`, 'edgectl completion --help');
  const nodes: Node[] = [];
  walk(program, [], nodes);
  const globals = program.options.flatMap((o) => [o.long, o.short].filter((x): x is string => !!x));
  return shell === 'bash' ? bash(nodes, globals) : shell === 'zsh' ? zsh(nodes, globals) : fish(nodes);
}

/** Registers `completion`. */
export function registerCompletion(program: Command, ctx: CliContext): void {
  program
    .command('completion')
    .description('Output shell completion code for the specified shell (bash, zsh or fish)')
    .argument('<shell>', 'bash, zsh or fish')
    .action((shell: string) => ctx.out(completionScript(program, shell)));
}

/**
 * `edgectl completion bash|zsh|fish`: the bash script completes commands, subcommands, resource types and
 * flags in a real bash; the zsh and fish scripts start as those shells expect; other shells are refused.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useParityHub } from '../testing/parity-fixtures.js';
import { runProcess, type Ran } from '../testing/parity-harness.js';

const p = useParityHub();

describe('completion', () => {
  it('bash: completes commands, subcommands, resource types and flags in a real bash', async () => {
    const script = (await p.edgectl(['completion', 'bash'])).out;
    await writeFile(join(p.dir, 'edgectl.bash'), script);
    const complete = (line: string): Promise<Ran> => {
      const words = line.split(' ');
      return runProcess('bash', [
        '-c',
        `source ${join(p.dir, 'edgectl.bash')}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _edgectl; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ]);
    };
    expect((await complete('edgectl ap')).out.split('\n')).toEqual(expect.arrayContaining(['apply', 'api-resources']));
    expect((await complete('edgectl get depl')).out).toBe('deployments\ndeploy\n');
    expect((await complete('edgectl rollout st')).out).toBe('status\n');
    expect((await complete('edgectl get pods --sort')).out).toBe('--sort-by\n');
  });

  it('zsh and fish scripts; an unknown shell is refused', async () => {
    expect((await p.edgectl(['completion', 'zsh'])).out).toMatch(/^#compdef edgectl\n/);
    expect((await p.edgectl(['completion', 'fish'])).out).toContain(
      "complete -c edgectl -n '__fish_use_subcommand' -a 'get'",
    );
    expect(await p.edgectl(['completion', 'tcsh'])).toMatchObject({
      code: 1,
      err: expect.stringContaining('Unsupported shell type "tcsh"') as unknown,
    });
  });
});

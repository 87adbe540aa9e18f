/**
 * Completion as bash does it: bash sources `thoth completion bash`, the
 * completion function runs with COMP_WORDS and COMP_CWORD as bash sets them,
 * and COMPREPLY is what the user would be offered.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cleanEnv, runThoth } from '../support/cli.js';

/** A home with `thoth` on PATH (running dist/) and a configuration file of two contexts. */
function machine() {
  const home = mkdtempSync(join(tmpdir(), 'thoth-completion-'));
  const bin = join(home, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'thoth'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(join(bin, 'thoth'), 0o755);
  mkdirSync(join(home, '.config', 'thoth'), { recursive: true });
  writeFileSync(
    join(home, '.config', 'thoth', 'config.yaml'),
    'contexts:\n  laptop: { broker: embedded }\n  staging: { broker: "k:9092" }\n',
  );
  return cleanEnv({ HOME: home, PATH: `${bin}:${process.env.PATH}` });
}

/** What bash offers for the command line `line` with the cursor at its end. */
function bashOffers(env: NodeJS.ProcessEnv, script: string, line: string): string[] {
  const words = line.split(' ');
  const program = `${script}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})
COMP_CWORD=${words.length - 1}
COMP_LINE='${line}'
COMP_POINT=${line.length}
_thoth
printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['--norc', '--noprofile', '-c', program], { env, encoding: 'utf8' })
    .split('\n')
    .filter((l) => l !== '');
}

describe('thoth completion', () => {
  it('completes in bash: commands, subcommands, options, values, types, kinds, fields, topics, contexts', async () => {
    const env = machine();
    const script = (await runThoth(['completion', 'bash'], { env })).stdout;
    const offers = (line: string) => bashOffers(env, script, line);
    expect(offers('thoth ')).toEqual(expect.arrayContaining(['publish', 'tail', 'query', 'config', 'completion', 'help']));
    expect(offers('thoth qu')).toEqual(['query']);
    expect(offers('thoth query w')).toEqual(['workflows']);
    expect(offers('thoth query workflows --st')).toEqual(['--status']);
    expect(offers('thoth query workflows --status ')).toEqual(['recorded', 'Pending', 'Running', 'Succeeded', 'Failed', 'Error']);
    expect(offers('thoth query workflows --kind sec')).toEqual(['security-indicators']);
    expect(offers('thoth tail solved-package -o ')).toEqual(['table', 'wide', 'json', 'yaml', 'ndjson']);
    expect(offers('thoth publish unresolved-p')).toEqual(['unresolved-package']);
    expect(offers('thoth submit sol')).toEqual(['solver']);
    expect(offers('thoth publish solved-package --field ')).toEqual(['package_name=', 'package_version=', 'index_url=', 'solver=']);
    expect(offers('thoth tail thoth.solver.')).toEqual(['thoth.solver.solved-package']);
    expect(offers('thoth --deployment-name staging tail staging.thoth.inv')).toEqual(
      expect.arrayContaining(['staging.thoth.investigator.unresolved-package', 'staging.thoth.investigator.dead-letter']),
    );
    expect(offers('thoth --thoth-context ')).toEqual(['laptop', 'staging']);
    expect(offers('thoth config use-context s')).toEqual(['staging']);
    expect(offers('thoth help form')).toEqual(['formats']);
    expect(offers('thoth nosuch ')).toEqual([]);
  });

  it('prints a script for zsh and fish, and refuses another shell with the choices', async () => {
    const zsh = await runThoth(['completion', 'zsh']);
    expect(zsh.stdout).toMatch(/^#compdef thoth\n/);
    expect(zsh.stdout).toContain('thoth __complete');
    const fish = await runThoth(['completion', 'fish']);
    expect(fish.stdout).toContain("complete -c thoth -f -a '(__thoth_complete)'");
    const other = await runThoth(['completion', 'powershell']);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('the shell must be one of bash, zsh, fish, got "powershell"');
  });
});

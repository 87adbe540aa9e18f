/**
 * `thoth completion bash|zsh|fish`: a script that makes the shell complete
 * thoth's command lines. Each script asks `thoth __complete WORD...` for the
 * candidates (src/cli/complete.ts), so commands, options, their values,
 * message types, workflow kinds, --field names of the chosen type, topics
 * and contexts are always those of the installed thoth.
 */
import { Argument, Command } from '@commander-js/extra-typings';
import { UsageError } from '../core/errors.js';
import { choiceRefusal, matchChoice } from '../core/choice.js';
import { write } from '../core/io.js';
import type { CommandDefinition } from './command.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

export interface CompletionOptions {
  shell: Shell;
}

export const SCRIPTS: Record<Shell, string> = {
  bash: `# thoth completion for bash: source <(thoth completion bash)
_thoth() {
  local IFS=$'\\n' cur="\${COMP_WORDS[COMP_CWORD]}"
  local -a candidates
  candidates=($(thoth __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
  COMPREPLY=("\${candidates[@]}")
  # name= waits for its value: no space after it.
  if [[ \${#COMPREPLY[@]} -eq 1 && \${COMPREPLY[0]} == *= ]]; then compopt -o nospace 2>/dev/null; fi
}
complete -o default -F _thoth thoth
`,
  zsh: `#compdef thoth
# thoth completion for zsh: source <(thoth completion zsh)
_thoth() {
  local -a candidates
  candidates=("\${(@f)$(thoth __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  candidates=(\${candidates:#})
  local -a spaced unspaced
  spaced=(\${candidates:#*=})
  unspaced=(\${(M)candidates:#*=})
  (( \${#spaced} )) && compadd -Q -- "\${spaced[@]}"
  (( \${#unspaced} )) && compadd -Q -S '' -- "\${unspaced[@]}"
}
if (( $+functions[compdef] )); then compdef _thoth thoth; fi
`,
  fish: `# thoth completion for fish: thoth completion fish | source
function __thoth_complete
  set -l tokens (commandline -opc)
  thoth __complete $tokens[2..-1] (commandline -ct) 2>/dev/null
end
complete -c thoth -f -a '(__thoth_complete)'
`,
};

export const completionCommand: CommandDefinition<CompletionOptions> = {
  declare: (_parse, done) =>
    new Command('completion')
      .addArgument(
        new Argument('<shell>', 'bash, zsh or fish').choices(SHELLS).argParser((value): Shell => {
          const shell = matchChoice(value, SHELLS);
          if (shell === undefined) throw new UsageError(choiceRefusal('the shell', value, SHELLS));
          return shell;
        }),
      )
      .addHelpText(
        'after',
        `
Completes commands, options and their values (-o formats, --kind, --status, ...), message
types, workflow kinds, --field and --filter names of the type named, topics and contexts.

Examples:
  $ source <(thoth completion bash)                      # now; add it to ~/.bashrc to keep it
  $ thoth completion zsh > "\${fpath[1]}/_thoth"          # zsh, then a new shell
  $ thoth completion fish > ~/.config/fish/completions/thoth.fish`,
      )
      .action((shell) => done({ shell })),

  async run(options, { io }) {
    await write(io.stdout, SCRIPTS[options.shell]);
  },
};

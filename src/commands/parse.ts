/**
 * Parses argv with a command's declaration and returns its typed options,
 * without running it: the table tests of argv → options (gh's style) and
 * anything else that wants a command's options call this.
 */
import { CommanderError } from '@commander-js/extra-typings';
import { UsageError } from '../core/errors.js';
import type { CommandDefinition, ParseContext } from './command.js';

export function parseOptions<Options>(definition: CommandDefinition<Options>, argv: readonly string[], parse: ParseContext): Options {
  let parsed: { options: Options } | undefined;
  const command = definition.declare(parse, (options) => (parsed = { options }));
  let refusal = '';
  const quiet = (target: typeof command) => {
    target.exitOverride().configureOutput({ writeOut: () => {}, writeErr: (text) => (refusal += text) });
    for (const sub of target.commands) quiet(sub);
  };
  quiet(command);
  try {
    command.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) throw new UsageError(refusal.trim() || error.message);
    throw error;
  }
  if (!parsed) throw new UsageError(`no options were parsed from ${JSON.stringify(argv.join(' '))}`);
  return parsed.options;
}

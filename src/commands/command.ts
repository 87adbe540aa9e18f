/**
 * The shape of every subcommand (STYLE 1, 14; gh's constructor + options +
 * run): `declare` binds typed flags on a commander Command and, in its
 * action, turns what was parsed into the command's typed options (no I/O,
 * no casts); `run` calls services with those options and hands plain data
 * to a presenter (src/present/<command>.ts). A command returns an outcome or
 * throws a typed error (src/core/errors.ts); only src/cli maps them to exit
 * codes, and nothing calls process.exit.
 */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { Settings } from '../config/settings.js';
import type { CommandContext } from './context.js';

/** How a command ended, when it did not throw: src/cli/exit-codes.ts maps it to 0, 1 or 130. */
export type Outcome = 'ok' | 'failure' | 'interrupted';

/** What options may depend on besides argv: data only, so that an options function does no I/O. */
export interface ParseContext {
  settings: Settings;
  /** stdout is a terminal: `-o` defaults to the human form. */
  isTTY: boolean;
  /** Now, in ms since the epoch (`--since 10m`). */
  now: number;
}

export interface CommandDefinition<Options> {
  /** Declares operands and flags; the action passes the typed options to `done`. */
  declare(parse: ParseContext, done: (options: Options) => void): CommandUnknownOpts;
  run(options: Options, context: CommandContext): Promise<Outcome | void>;
}

/** A command whose options stay inside: the dispatch core parses argv and gets back something to run. */
export interface RunnableCommand {
  declare(parse: ParseContext, ready: (run: (context: CommandContext) => Promise<Outcome | void>) => void): CommandUnknownOpts;
}

export function runnable<Options>(definition: CommandDefinition<Options>): RunnableCommand {
  return {
    declare: (parse, ready) => definition.declare(parse, (options) => ready((context) => definition.run(options, context))),
  };
}

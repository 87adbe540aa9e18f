import type { Command } from 'commander';
import type { Deps } from '../cli/deps.js';

/**
 * One subcommand: `configure` declares its operands, options and help
 * examples on the commander Command; `run` receives what commander parsed
 * and returns an exit code (default 0) or throws a typed error
 * (src/cli/errors.ts). Nothing here calls process.exit.
 */
export interface CommandModule {
  configure(command: Command): void;
  run(invocation: Invocation, deps: Deps): Promise<number | void>;
}

export interface Invocation {
  /** Positional operands in declaration order (variadic ones as arrays). */
  operands: unknown[];
  /** The command's own options, as commander parsed them. */
  options: Record<string, unknown>;
  /** The commander Command, for nested subcommands and help. */
  command: Command;
}

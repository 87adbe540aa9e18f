/**
 * The one place that knows exit codes (SPEC §6): what a command returned or
 * threw becomes 0, 1, 2, 130 (interrupted by SIGINT) or 143 (terminated by
 * SIGTERM), with the message and hint on stderr.
 */
import type { Outcome } from '../commands/command.js';
import { CancelledError, UsageError, UserError, isAbortError } from '../core/errors.js';

export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130, terminated: 143 } as const;

/** An interrupted command exits 130 after SIGINT, 143 (128 + 15, as a shell reports) after SIGTERM. */
export function bySignal(code: number, signal: AbortSignal): number {
  return code === EXIT.interrupted && signal.aborted && signal.reason === 'SIGTERM' ? EXIT.terminated : code;
}

export function exitCodeOf(outcome: Outcome | void): number {
  return outcome === 'failure' ? EXIT.failure : outcome === 'interrupted' ? EXIT.interrupted : EXIT.ok;
}

/** Reports a failure on stderr (through `fail`, which redacts secrets) and returns its exit code. */
export function reportError(error: unknown, fail: (text: string) => void, commandName: string, verbose = false): number {
  if (error instanceof UsageError) {
    fail(`error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}See 'thoth ${commandName} --help'.\n`);
    return EXIT.usage;
  }
  if (isAbortError(error)) {
    fail(`${error instanceof CancelledError ? error.message : 'interrupted'}\n`);
    return EXIT.interrupted;
  }
  if (error instanceof UserError) {
    fail(`error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
    return EXIT.failure;
  }
  // Never a stack unless asked for (-v): one line a person can quote in a report.
  if (verbose) {
    const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
    fail(`${stack}\nThis is a bug in thoth; please report it with the command you ran.\n`);
  } else {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    fail(
      `error: ${text.replace(/\s+/g, ' ').trim().slice(0, 500)}\nThis is a bug in thoth; please report it with the command you ran (-v prints where it happened).\n`,
    );
  }
  return EXIT.failure;
}

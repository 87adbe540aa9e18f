/**
 * The handful of error types that classify a failure: the user's to fix
 * (with a hint), worth trying again, never going to pass, the ground under
 * the command broken, or cancelled. They carry no exit codes: only the
 * dispatch core (src/cli/exit-codes.ts) maps them to one, and the
 * investigator's delivery decides by them whether to retry or dead-letter.
 */

/** Bad command line or setting: unknown option, missing operand, wrong value. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/**
 * Something the user can fix: bad input, unreachable broker, missing cluster.
 * Reported without a stack, with the hint on its own line.
 */
export class UserError extends Error {
  override readonly name: string = 'UserError';
  constructor(
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The ground under the command is broken: the cache file corrupt, read-only,
 * or its disk full. Not the fault of the message being handled, so the
 * investigator stops without committing instead of dead-lettering one message
 * after another.
 */
export class FatalError extends UserError {
  override readonly name = 'FatalError';
}

/** The user pressed Ctrl-C (or the process got SIGTERM) while a command ran. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor(message = 'interrupted') {
    super(message);
  }
}

/**
 * A failure that may pass if tried again (broker down, Kubernetes 5xx/429,
 * SQLITE_BUSY). The investigator retries these with backoff; a command that
 * gives up on one reports it as a user error.
 */
export class TransientError extends UserError {
  override readonly name = 'TransientError';
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, undefined, options);
  }
}

/**
 * A failure that will fail the same way every time for the same input: not
 * JSON, schema violation, unknown type, unregistered index, Kubernetes 4xx.
 * The investigator dead-letters the message that caused it.
 */
export class PermanentError extends UserError {
  override readonly name = 'PermanentError';
  constructor(
    readonly errorClass: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, undefined, options);
  }
}

export function isAbortError(error: unknown): boolean {
  return error instanceof CancelledError || (error instanceof Error && error.name === 'AbortError');
}

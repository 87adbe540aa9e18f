/**
 * Notices, warnings and progress go to stderr; results never do. The members
 * are function properties, so that `log.warn` can be handed on as a callback.
 */
export interface Logger {
  /** One line a user should see (which broker is in use, what was skipped). Silenced by --quiet. */
  readonly notice: (text: string) => void;
  readonly warn: (text: string) => void;
  /** Only with --verbose. */
  readonly debug: (text: string) => void;
}

/** Says nothing: for callers that have nobody to tell (tests, library use). */
export const nullLogger: Logger = { notice: () => {}, warn: () => {}, debug: () => {} };

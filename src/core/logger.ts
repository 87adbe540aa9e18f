/** Notices, warnings and progress go to stderr; results never do. */
export interface Logger {
  /** One line a user should see (which broker is in use, what was skipped). Silenced by --quiet. */
  notice(text: string): void;
  warn(text: string): void;
  /** Only with --verbose. */
  debug(text: string): void;
}

/** Says nothing: for callers that have nobody to tell (tests, library use). */
export const nullLogger: Logger = { notice: () => {}, warn: () => {}, debug: () => {} };

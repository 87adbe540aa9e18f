import type { Io } from './io.js';

/** Notices, warnings and progress go to stderr; results never do. */
export interface Logger {
  /** One line a user should see (which broker is in use, what was skipped). Silenced by --quiet. */
  notice(text: string): void;
  warn(text: string): void;
  /** Only with --verbose. */
  debug(text: string): void;
}

export function stderrLogger(io: Io, options: { quiet: boolean; verbose: boolean }): Logger {
  const line = (text: string) => io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  return {
    notice: (text) => {
      if (!options.quiet) line(text);
    },
    warn: (text) => line(`warning: ${text}`),
    debug: (text) => {
      if (options.verbose) line(text);
    },
  };
}

import type { Io } from '../core/io.js';
import type { Logger } from '../core/logger.js';

/** The process's logger: notices (unless --quiet), warnings, and debugging detail (with --verbose) on stderr. */
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

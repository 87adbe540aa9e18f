import type { Io } from '../core/io.js';
import type { Logger } from '../core/logger.js';
import { terminalSafe } from '../core/terminal.js';
import { withoutCredentials } from '../messages/secrets.js';

/**
 * The process's logger: notices (unless --quiet), warnings, and debugging detail (with --verbose) on stderr.
 * What it prints often quotes a message or a file: control characters are shown as escapes (`\x1b`).
 */
export function stderrLogger(io: Io, options: { quiet: boolean; verbose: boolean }): Logger {
  const line = (text: string) => io.stderr.write(terminalSafe(withoutCredentials(text.endsWith('\n') ? text : `${text}\n`)));
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

/**
 * `thoth cache check`: runs SQLite's PRAGMA integrity_check over the whole
 * knowledge cache (read-only) and says whether it is sound. Exit 0 when it
 * is, 1 when SQLite found damage.
 */
import { Command } from '@commander-js/extra-typings';
import { write } from '../core/io.js';
import { presentIntegrity } from '../present/cache.js';
import { checkIntegrity } from '../store/index.js';
import type { CommandDefinition } from './command.js';
import { choiceOption } from './options.js';

const FORMATS = ['text', 'json'] as const;

export interface CacheOptions {
  action: 'check';
  format: (typeof FORMATS)[number];
}

export const cacheCommand: CommandDefinition<CacheOptions> = {
  declare: (_parse, done) =>
    new Command('cache')
      .description('Look after the local knowledge cache')
      .usage('<action> [options]')
      .addCommand(
        new Command('check')
          .description("run SQLite's integrity check over the whole cache file (read-only)")
          .addOption(choiceOption('-o, --output <format>', 'text or json', FORMATS))
          .addHelpText(
            'after',
            `
Exit 0 when the file is sound, 1 when SQLite finds damage (the problems are listed).
A damaged cache: restore it from a backup, or move it aside and let thoth start a new
one; \`thoth query\` still reads the tables that are intact.

Examples:
  $ thoth cache check
  $ thoth cache check --db /var/lib/thoth/thoth.db -o json`,
          )
          .action((o) => done({ action: 'check', format: o.output ?? 'text' })),
      ),

  async run(options, context) {
    // A long check on a large file: Ctrl-C still ends it.
    const report = context.blocking(() => checkIntegrity(context.settings.cachePath));
    await write(context.io.stdout, presentIntegrity(report, options.format));
    return report.ok ? 'ok' : 'failure';
  },
};

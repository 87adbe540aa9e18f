/**
 * `thoth trace NAME[==VERSION] [--follow]`: everything the cache knows of a
 * package version, in time order (src/services/trace.ts); a table on a
 * terminal, JSON when piped; --follow keeps reading the cache and prints what
 * is new (a workflow's next phase, a solver result, a dead letter).
 */
import { Argument, Command } from '@commander-js/extra-typings';
import { UsageError, UserError } from '../core/errors.js';
import { write } from '../core/io.js';
import { sleep } from '../core/sleep.js';
import { parsePackageSpec } from '../messages/package-spec.js';
import { presentTrace, presentTraceEvents, type TraceFormat } from '../present/trace.js';
import { traceEventKey, traceOf } from '../services/trace.js';
import { withStoreErrors } from '../store/errors.js';
import type { CommandDefinition } from './command.js';
import { choiceOption } from './options.js';

const FORMATS = ['table', 'json', 'ndjson'] as const;
const FOLLOW_EVERY_MS = 2_000;

export interface TraceOptions {
  name: string;
  version?: string;
  follow: boolean;
  output: TraceFormat;
  solvers: readonly string[];
}

export const traceCommand: CommandDefinition<TraceOptions> = {
  declare: (parse, done) =>
    new Command('trace')
      .addArgument(
        new Argument('<package>', 'NAME or NAME==VERSION').argParser((text) => {
          try {
            return parsePackageSpec(text);
          } catch (error) {
            if (error instanceof UserError) throw new UsageError(error.message, error.hint);
            throw error;
          }
        }),
      )
      .option('-f, --follow', 'keep reading the cache and print what is new')
      .addOption(
        choiceOption(
          '-o, --output <format>',
          'table | json | ndjson (default: table on a terminal, json when piped; ndjson with --follow)',
          FORMATS,
        ),
      )
      .addHelpText(
        'after',
        `
In time order: when the version was first seen and requested, the messages that led to
workflows and the workflows themselves with the phase the ledger knows, solver results and
other knowledge, the advice runs waiting on it and their re-run, and the dead letters whose
message names it. Read from the local cache (--db); run next to the investigator's cache, or
after thoth investigate --from, to see the loop as it went.

Examples:
  $ thoth trace requests==2.25.1
  $ thoth trace requests -o json | jq '.events[] | select(.kind == "workflow")'
  $ thoth trace flask==2.0.1 --follow`,
      )
      .action((spec, o) =>
        done({
          name: spec.name,
          ...(spec.version !== undefined ? { version: spec.version } : {}),
          follow: Boolean(o.follow),
          output: o.output ?? (parse.isTTY ? 'table' : o.follow ? 'ndjson' : 'json'),
          solvers: parse.settings.solvers,
        }),
      ),

  async run(options, context) {
    const store = await context.store({ readonly: true });
    const table = { color: context.settings.color && Boolean(context.io.stdout.isTTY), width: context.io.stdout.columns };
    const read = () => withStoreErrors(store.path, () => traceOf(store, options, options.solvers));
    const trace = read();
    const presented = await presentTrace(trace, options.follow && options.output === 'json' ? 'ndjson' : options.output, table);
    if (presented.empty) context.log.notice(presented.empty);
    await write(context.io.stdout, presented.output);
    if (!options.follow) return;
    const seen = new Set(trace.events.map(traceEventKey));
    while (!context.signal.aborted) {
      await sleep(FOLLOW_EVERY_MS, context.signal).catch(() => undefined);
      if (context.signal.aborted) break;
      const fresh = read().events.filter((e) => !seen.has(traceEventKey(e)));
      for (const e of fresh) seen.add(traceEventKey(e));
      if (fresh.length)
        await write(context.io.stdout, presentTraceEvents(fresh, options.output === 'json' ? 'ndjson' : options.output, table));
    }
    return 'interrupted';
  },
};

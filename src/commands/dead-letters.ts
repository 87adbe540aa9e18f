/**
 * `thoth dead-letters list | show ID | redrive`: the investigator's dead
 * letters as things to act on. `list` and `show` read the cache; `redrive`
 * re-publishes each selected dead letter's original record (value, key,
 * headers) to its source topic and records that it did, so that the same dead
 * letter is not sent twice by accident (src/services/dead-letters.ts).
 */
import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import { parseSince } from '../core/duration.js';
import { UsageError, UserError } from '../core/errors.js';
import { write } from '../core/io.js';
import { resolveTopics } from '../services/tail-selection.js';
import { presentDeadLetter, presentDeadLetterList, presentRedrive, type DeadLettersFormat } from '../present/dead-letters.js';
import { redriveDeadLetters } from '../services/dead-letters.js';
import { withStoreErrors } from '../store/errors.js';
import type { DeadLetterFilter } from '../store/index.js';
import type { CommandDefinition, ParseContext } from './command.js';
import { countOf } from './options.js';
import { chosenOutput, outputOption } from './output.js';

const LIST_FORMATS = ['table', 'json', 'yaml', 'ndjson'] as const;
const SHOW_FORMATS = ['table', 'json', 'yaml'] as const;

export type DeadLettersOptions =
  | { action: 'list'; filter: DeadLetterFilter; output: DeadLettersFormat }
  | { action: 'show'; id: number; output: (typeof SHOW_FORMATS)[number] }
  | { action: 'redrive'; filter: DeadLetterFilter; dryRun: boolean; again: boolean; output: DeadLettersFormat; deploymentName?: string };

const HELP = `
A dead letter is a record the investigator could not process (not JSON, a schema violation,
an unregistered index, retries exhausted, ...). Each has an id in the cache (thoth dead-letters
list). Fix the cause (register the index, deploy the fix), then re-drive: the original record,
with its key and headers, is published again to its source topic, where the investigator
takes it up as any other message.

redrive reads the original from the broker: the source topic at the recorded offset when the
dead letter came from this broker, else the dead-letter topic; the cache's copy is used only
when it is whole (its key recorded, its value neither cut short nor masked). A dead letter
re-driven once is refused the second time unless --again.

Examples:
  $ thoth dead-letters list
  $ thoth dead-letters list --error-class UnregisteredIndex --since 1h -o json
  $ thoth dead-letters show 12
  $ thoth dead-letters redrive --error-class UnregisteredIndex --dry-run
  $ thoth dead-letters redrive 12 13
  $ thoth dead-letters redrive 12 --again`;

function idOf(text: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) === 0)
    throw new InvalidArgumentError('a dead letter id is a positive whole number (thoth dead-letters list shows them)');
  return Number(text);
}

/** `--since`/`--until`: a duration before now or an ISO-8601 time, as ISO-8601 (the cache's form). */
function timeParser(now: number): (text: string) => string {
  return (text) => {
    const at = parseSince(text, now);
    if (at === undefined) throw new InvalidArgumentError('expected a duration such as 10m, 2h, 3d, or an ISO-8601 time');
    return new Date(at).toISOString();
  };
}

interface FilterFlags {
  errorClass?: string;
  topic?: string;
  since?: string;
  until?: string;
  limit?: number;
}

/** The selection flags that list and redrive share. */
function withFilters(command: Command, parse: ParseContext) {
  return command
    .option('--error-class <class>', 'only this error class (UnregisteredIndex, SchemaViolation, NotJson, RetriesExhausted, ...)')
    .option('--topic <type|topic>', 'only records from this source: a message type, a base topic or a full topic name')
    .option('--since <when>', 'dead-lettered since: 10m, 2h, 3d, or an ISO-8601 time', timeParser(parse.now))
    .option('--until <when>', 'dead-lettered before: 10m, 2h, 3d, or an ISO-8601 time', timeParser(parse.now))
    .option('--limit <n>', 'at most N dead letters', countOf('--limit'));
}

function filterOf(flags: FilterFlags, deploymentName: string | undefined): DeadLetterFilter {
  return {
    ...(flags.errorClass !== undefined ? { errorClass: flags.errorClass } : {}),
    ...(flags.topic !== undefined ? { topic: resolveTopics([flags.topic], false, deploymentName)[0] } : {}),
    ...(flags.since !== undefined ? { since: flags.since } : {}),
    ...(flags.until !== undefined ? { until: flags.until } : {}),
    ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
  };
}

export const deadLettersCommand: CommandDefinition<DeadLettersOptions> = {
  declare(parse, done) {
    // Read in the actions: the settings need the global flags, parsed by then.
    const deployment = () => parse.settings.deploymentName;
    const list = withFilters(new Command('list'), parse)
      .description('dead letters in the cache, oldest first, with their ids')
      .option('--pending', 'only those never re-driven')
      .option('--redriven', 'only those re-driven')
      .addOption(outputOption(LIST_FORMATS, { tty: 'table', piped: 'json' }))
      .action((flags) => {
        if (flags.pending && flags.redriven) throw new UsageError('--pending and --redriven cannot be used together');
        done({
          action: 'list',
          filter: {
            ...filterOf(flags, deployment()),
            ...(flags.pending ? { pending: true } : flags.redriven ? { pending: false } : {}),
          },
          output: chosenOutput(flags.output, { tty: 'table', piped: 'json' }, parse.isTTY),
        });
      });
    const show = new Command('show')
      .description('one dead letter in full: source, reason, key, headers, value, re-drives')
      .argument('<id>', 'the dead letter id (thoth dead-letters list)', idOf)
      .addOption(outputOption(SHOW_FORMATS, { tty: 'table', piped: 'json' }))
      .action((id, flags) =>
        done({ action: 'show', id, output: chosenOutput(flags.output, { tty: 'table', piped: 'json' }, parse.isTTY) }),
      );
    const redrive = withFilters(new Command('redrive'), parse)
      .description("re-publish dead letters' original records to their source topics")
      .argument('[id...]', 'dead letter ids (thoth dead-letters list)')
      .option('--all', 'every dead letter not re-driven yet (with the filters: every one they match)')
      .option('--dry-run', 'say what would be re-driven and from where; send nothing')
      .option('--again', 're-drive dead letters that were re-driven before')
      .addOption(outputOption(LIST_FORMATS, { tty: 'table', piped: 'json' }))
      .action((ids, flags) => {
        const parsedIds = ids.map((id) => {
          try {
            return idOf(id);
          } catch (error) {
            throw new UsageError(`dead letter id ${JSON.stringify(id)}: ${(error as Error).message}`);
          }
        });
        const filter = filterOf(flags, deployment());
        const filtered = Object.keys(filter).some((k) => k !== 'limit');
        if (parsedIds.length === 0 && !filtered && !flags.all)
          throw new UsageError(
            'name the dead letters to re-drive: ids, a filter (--error-class, --topic, --since, --until) or --all',
            'thoth dead-letters list shows them; add --dry-run first',
          );
        done({
          action: 'redrive',
          filter: {
            ...filter,
            ...(parsedIds.length > 0 ? { ids: parsedIds } : {}),
            // Selected by filter, a dead letter re-driven before is left out unless --again; named by id, it is refused.
            ...(parsedIds.length === 0 && !flags.again ? { pending: true } : {}),
          },
          dryRun: Boolean(flags.dryRun),
          again: Boolean(flags.again),
          output: chosenOutput(flags.output, { tty: 'table', piped: 'json' }, parse.isTTY),
          deploymentName: deployment(),
        });
      });
    return new Command('dead-letters')
      .description('List, inspect and re-drive the messages the investigator could not process')
      .usage('<list|show|redrive> [options]')
      .addHelpText('after', HELP)
      .addCommand(list)
      .addCommand(show)
      .addCommand(redrive);
  },

  async run(options, context) {
    const table = { color: context.settings.color && Boolean(context.io.stdout.isTTY), width: context.io.stdout.columns };
    if (options.action === 'list') {
      const store = await context.store({ readonly: true });
      const letters = withStoreErrors(store.path, () => store.deadLetters(options.filter));
      const presented = await presentDeadLetterList(letters, options.output, table);
      if (presented.empty) context.log.notice(presented.empty);
      return write(context.io.stdout, presented.output);
    }
    if (options.action === 'show') {
      const store = await context.store({ readonly: true });
      const letter = withStoreErrors(store.path, () => store.deadLetter(options.id));
      if (!letter) throw new UserError(`no dead letter has id ${options.id}`, 'thoth dead-letters list shows the ids');
      return write(context.io.stdout, await presentDeadLetter(letter, options.output, table));
    }
    const store = await context.store();
    const letters = withStoreErrors(store.path, () => store.deadLetters(options.filter));
    const missing = (options.filter.ids ?? []).filter((id) => !letters.some((l) => l.id === id));
    if (missing.length > 0) throw new UserError(`no dead letter has id ${missing.join(', ')}`, 'thoth dead-letters list shows the ids');
    const broker = await context.broker();
    const results = await redriveDeadLetters(letters, options, { broker, store, now: () => context.clock.now(), signal: context.signal });
    for (const r of results) {
      if (r.status === 'already-redriven' || r.status === 'unavailable') context.log.warn(`dead letter ${r.id}: ${r.note ?? r.status}`);
    }
    const presented = await presentRedrive(results, options.output, table);
    if (presented.empty) context.log.notice(presented.empty);
    await write(context.io.stdout, presented.output);
    const redriven = results.filter((r) => r.status === 'redriven' || r.status === 'would-redrive').length;
    if (results.length > 0)
      context.log.notice(
        `${options.dryRun ? 'would re-drive' : 're-drove'} ${redriven} of ${results.length} dead letter${results.length === 1 ? '' : 's'}${options.dryRun ? ' (dry run: nothing sent)' : ''}`,
      );
    return results.every((r) => r.status === 'redriven' || r.status === 'would-redrive') ? 'ok' : 'failure';
  },
};

/**
 * `thoth tail <type|topic>...`: follow topics, decode and validate every
 * message against the type its topic carries, and print it. An invalid
 * message is shown flagged with its reasons, never dropped.
 */
import { Command } from '@commander-js/extra-typings';
import { UsageError } from '../core/errors.js';
import { write } from '../core/io.js';
import { decodeRecord } from '../messages/records.js';
import { missingTopicsNotice } from '../messages/topics.js';
import { tailPresenter, type TailFormat } from '../present/tail.js';
import { matchesFilters, parseFilters, resolveTopics, startPosition, type FieldFilter } from '../services/tail-selection.js';
import { onlyPartitions, type StartPosition } from '../transport/port.js';
import type { CommandDefinition } from './command.js';
import { collect, countOf } from './options.js';
import { chosenOutput, outputOption } from './output.js';

const FORMATS = ['table', 'wide', 'json', 'yaml', 'ndjson'] as const;
const DEFAULT_OUTPUT = { tty: 'table', piped: 'ndjson' } as const;

const partitionOf = countOf('--partition', { allowZero: true });
const absoluteOffset = countOf('--offset', { allowZero: true });
/** --offset N, or -N for the last N records of each partition. */
const offsetOf = (value: string): number => {
  if (!/^-\d+$/.test(value)) return absoluteOffset(value);
  const back = Number(value.slice(1));
  if (!Number.isSafeInteger(back) || back === 0)
    throw new UsageError(`--offset -N takes the last N records of each partition, N at least 1, got ${JSON.stringify(value)}`);
  return -back;
};
/** --partition, repeatable; `--partition 0,2` reads as two. */
const partitionsOf = (value: string, previous: number[] = []): number[] => [
  ...new Set([...previous, ...value.split(',').map((p) => partitionOf(p.trim()))]),
];

/** Thrown by the handler for records that arrive after --count was reached. */
class CountReached extends Error {}

export interface TailOptions {
  topics: string[];
  start: StartPosition;
  /** --partition: only these partitions of each topic. */
  partitions?: number[];
  count?: number;
  exitAtEnd: boolean;
  group?: string;
  filters: FieldFilter[];
  format: TailFormat;
  showSecrets: boolean;
  deploymentName?: string;
}

export const tailCommand: CommandDefinition<TailOptions> = {
  declare: (parse, done) =>
    new Command('tail')
      .argument('[topics...]', 'message types (solved-package), base topics, or raw topic names (anything with a dot)')
      .option('--all', 'every topic of the message catalogue')
      .option('--from-beginning', 'start at the earliest message')
      .option('--offset <n>', 'start at this offset in every partition; -N: at the last N records of each (kcat -o -N)', offsetOf)
      .option(
        '-p, --partition <n>',
        "read only this partition of each topic (repeatable, as kcat's -p): with --offset, one record's place (not with --group)",
        partitionsOf,
      )
      .option('--since <when>', 'start at messages newer than 10m, 2h, 1d ... or an ISO-8601 date')
      .option('-c, --count <n>', "stop after printing n messages (kcat's -c)", countOf('--count'))
      .option('-e, --exit-at-end', "stop at the end of every partition (kcat's -e; reads from the beginning unless a start is given)")
      .option('--group <id>', 'consume as this consumer group and commit offsets (default: no group, nothing committed)')
      .option(
        '--filter <field=value>',
        'only messages whose field has this value (repeatable, all must match); package names compare normalised',
        collect,
      )
      .option('--show-secrets', 'print secret fields (names containing "password") instead of ***')
      .addOption(
        // `pretty` was the name of the table form before the one vocabulary of -o.
        outputOption(FORMATS, DEFAULT_OUTPUT, { pretty: 'table' }),
      )
      .addHelpText(
        'after',
        `
Output:
  table   one block per message: time, topic, partition@offset, key, type and version,
          then the fields; invalid messages are flagged in red with every reason.
  wide    the same with the full topic and every field (component_name, ... too).
  ndjson  exactly one recorded-stream line (see \`thoth help formats\`: topic, key,
          headers, value, timestamp, partition, offset), so \`thoth replay\` publishes
          it back unchanged. Invalid messages are printed too; their reasons go to stderr.
  json    one array of those objects, each with "type" and, when invalid, "invalid"
          (the field errors).
  yaml    each of those objects as its own YAML document (---).
Secret fields are masked as *** in every format unless --show-secrets.

With --group, a partition where the group has committed an offset continues from
that offset (as every Kafka consumer group does): --from-beginning, --offset and
--since apply only to partitions without a committed offset.

--partition and --offset name a record's place, as kcat's -p and -o: -p 2 --offset
1234 -c 1 prints the record at offset 1234 of partition 2; --offset -5 starts 5
records before the end of each partition (at its start when it holds fewer). -p, -c
and -e are kcat's letters (-o stays thoth's --output).

Examples:
  $ thoth tail solved-package
  $ thoth tail unresolved-package solved-package --from-beginning --filter package_name=requests
  $ thoth tail --all --since 10m -o ndjson > recorded.ndjson
  $ thoth tail solved-package --exit-at-end --count 10 -o json
  $ thoth tail solved-package -p 2 --offset 1234 -c 1
  $ thoth tail solved-package --offset -5 --exit-at-end`,
      )
      .action((operands, o) => {
        const deploymentName = parse.settings.deploymentName;
        const topics = resolveTopics(operands, Boolean(o.all), deploymentName);
        const exitAtEnd = Boolean(o.exitAtEnd);
        if (o.partition !== undefined && o.group !== undefined)
          throw new UsageError(
            '--partition and --group cannot be used together: a group assigns its members their partitions',
            'drop --group to read chosen partitions (nothing is committed), or --partition to consume as the group',
          );
        done({
          topics,
          start: startPosition({ fromBeginning: Boolean(o.fromBeginning), offset: o.offset, since: o.since, exitAtEnd }, parse.now),
          partitions: o.partition,
          count: o.count,
          exitAtEnd,
          group: o.group,
          filters: parseFilters(o.filter ?? [], topics, deploymentName),
          format: chosenOutput(o.output, DEFAULT_OUTPUT, parse.isTTY),
          showSecrets: Boolean(o.showSecrets),
          deploymentName,
        });
      }),

  async run(options, context) {
    const { io, log } = context;
    const broker = await context.broker();
    const presenter = await tailPresenter({ ...options, color: context.settings.color && Boolean(io.stdout.isTTY), log });
    // --count stops the consumption from inside; Ctrl-C stops it from outside.
    const enough = new AbortController();
    const signal = AbortSignal.any([context.signal, enough.signal]);
    let shown = 0;
    let invalid = 0;
    const emptyIsMissing = options.exitAtEnd && broker.kind === 'embedded';
    // The topics as the broker has them, read once, where something is checked before reading.
    const existing =
      emptyIsMissing || options.partitions ? new Map((await broker.topics(options.topics)).map((t) => [t.name, t.partitions])) : undefined;
    if (existing && emptyIsMissing) {
      // The Kafka transport says this itself; the embedded log reads a missing topic as empty.
      const missing = options.topics.filter((t) => !existing.has(t));
      if (missing.length === options.topics.length) {
        // A new broker: one short line, and nothing to consume.
        log.notice(`${missingTopicsNotice(missing, options.topics.length)} (0 messages)`);
        await write(io.stdout, presenter.begin() + presenter.end());
        return 'ok';
      }
      if (missing.length > 0) log.notice(missingTopicsNotice(missing, options.topics.length));
    }
    if (existing && options.partitions) {
      // A partition a topic does not have is refused before "tailing ..." says what is read (the transport would
      // refuse it too, once reading had begun). A topic not there yet is the transport's to wait for or read as empty.
      for (const topic of options.topics) {
        const count = existing.get(topic);
        if (count !== undefined) onlyPartitions(topic, [...Array(count).keys()], options.partitions);
      }
    }
    await write(io.stdout, presenter.begin());
    // Without a group nothing is committed: what a batch of records prints goes out in one write
    // (one per record cost as much as the rest of printing). With --group each record is printed
    // before its offset is committed, as before.
    let pending = '';
    const flush = async () => {
      if (pending === '') return;
      const text = pending;
      pending = '';
      await write(io.stdout, text);
    };
    const FLUSH_AT = 1 << 16;
    const consumption = broker.consume(
      {
        topics: options.topics,
        group: options.group,
        start: options.start,
        partitions: options.partitions,
        exitAtEnd: options.exitAtEnd,
        signal,
        ...(options.group === undefined ? { batchDone: flush } : {}),
      },
      async (record) => {
        // Past --count: refuse the record so that a --group does not commit what was never shown.
        if (enough.signal.aborted) throw new CountReached();
        const decoded = decodeRecord(record, options.deploymentName);
        if (!matchesFilters(decoded.envelope.value, options.filters)) return;
        shown++;
        if (decoded.validation && !decoded.validation.ok) invalid++;
        if (options.group !== undefined) await write(io.stdout, presenter.message(decoded));
        else if ((pending += presenter.message(decoded)).length >= FLUSH_AT) await flush();
        if (options.count !== undefined && shown >= options.count) enough.abort();
      },
    );
    const what = options.topics.length > 3 ? `${options.topics.length} topics` : options.topics.join(', ');
    const partitions = options.partitions && `, partition${options.partitions.length === 1 ? '' : 's'} ${options.partitions.join(', ')}`;
    log.notice(`tailing ${what}${partitions ?? ''}${options.exitAtEnd ? ' (until the end)' : ' (Ctrl-C to stop)'}`);
    try {
      await consumption.done;
    } catch (error) {
      // Stopping by --count or Ctrl-C may surface as an abort error from the transport.
      if (!(error instanceof CountReached) && !signal.aborted) throw error;
    } finally {
      await flush();
      await write(io.stdout, presenter.end());
    }
    log.notice(`${shown} message${shown === 1 ? '' : 's'}${invalid ? `, ${invalid} invalid` : ''}`);
    return context.signal.aborted && !enough.signal.aborted ? 'interrupted' : 'ok';
  },
};

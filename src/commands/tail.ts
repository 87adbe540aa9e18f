/**
 * `thoth tail <type|topic>...`: follow topics, decode and validate every
 * message against the type its topic carries, and print it. An invalid
 * message is shown flagged with its reasons, never dropped.
 */
import type { Command } from 'commander';
import type { Deps } from '../cli/deps.js';
import { checkedDeploymentName } from '../cli/deployment.js';
import { EXIT } from '../cli/errors.js';
import { write } from '../cli/io.js';
import { decodeRecord } from '../messages/records.js';
import { collect, outputFormat, parseCount } from '../cli/output.js';
import { matchesFilters, parseFilters, resolveTopics, startPosition, type FieldFilter } from '../streams/tail-options.js';
import { tailPresenter, type TailFormat } from '../streams/tail-present.js';
import type { StartPosition } from '../transport/port.js';
import type { CommandModule, Invocation } from './types.js';

const FORMATS = ['pretty', 'ndjson', 'json'] as const;

/** Thrown by the handler for records that arrive after --count was reached. */
class CountReached extends Error {}

export interface TailOptions {
  topics: string[];
  start: StartPosition;
  count?: number;
  exitAtEnd: boolean;
  group?: string;
  filters: FieldFilter[];
  format: TailFormat;
  showSecrets: boolean;
  deploymentName?: string;
}

export function tailOptions(invocation: Invocation, deps: Pick<Deps, 'globals' | 'env' | 'io' | 'now'>): TailOptions {
  const o = invocation.options;
  const deployment = checkedDeploymentName(deps.globals, deps.env);
  const topics = resolveTopics((invocation.operands[0] as string[] | undefined) ?? [], Boolean(o.all), deployment);
  const exitAtEnd = Boolean(o.exitAtEnd);
  return {
    topics,
    start: startPosition({ fromBeginning: Boolean(o.fromBeginning), offset: parseCount('--offset', o.offset, true), since: o.since as string | undefined, exitAtEnd }, deps.now()),
    count: parseCount('--count', o.count),
    exitAtEnd,
    group: o.group as string | undefined,
    filters: parseFilters((o.filter as string[] | undefined) ?? [], topics, deployment),
    format: outputFormat(o.output, FORMATS, { tty: 'pretty', piped: 'ndjson' }, deps.io.stdout.isTTY),
    showSecrets: Boolean(o.showSecrets),
    deploymentName: deployment,
  };
}

export async function runTail(options: TailOptions, deps: Deps): Promise<number> {
  const broker = await deps.broker();
  const presenter = tailPresenter({ ...options, color: deps.globals.color && Boolean(deps.io.stdout.isTTY), log: deps.log });
  // --count stops the consumption from inside; Ctrl-C stops it from outside.
  const enough = new AbortController();
  const signal = AbortSignal.any([deps.signal, enough.signal]);
  let shown = 0;
  let invalid = 0;
  if (options.exitAtEnd && broker.kind === 'embedded') {
    // The Kafka transport says this itself; the embedded log reads a missing topic as empty.
    const known = new Set((await broker.topics()).map((t) => t.name));
    const missing = options.topics.filter((t) => !known.has(t));
    if (missing.length > 0) deps.log.notice(`topic${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist: nothing to read there`);
  }
  await write(deps.io.stdout, presenter.begin());
  const consumption = broker.consume(
    { topics: options.topics, group: options.group, start: options.start, exitAtEnd: options.exitAtEnd, signal },
    async (record) => {
      // Past --count: refuse the record so that a --group does not commit what was never shown.
      if (enough.signal.aborted) throw new CountReached();
      const decoded = decodeRecord(record, options.deploymentName);
      if (!matchesFilters(decoded.envelope.value, options.filters)) return;
      shown++;
      if (decoded.validation && !decoded.validation.ok) invalid++;
      await write(deps.io.stdout, presenter.message(decoded));
      if (options.count !== undefined && shown >= options.count) enough.abort();
    },
  );
  const what = options.topics.length > 3 ? `${options.topics.length} topics` : options.topics.join(', ');
  deps.log.notice(`tailing ${what}${options.exitAtEnd ? ' (until the end)' : ' (Ctrl-C to stop)'}`);
  try {
    await consumption.done;
  } catch (error) {
    // Stopping by --count or Ctrl-C may surface as an abort error from the transport.
    if (!(error instanceof CountReached) && !signal.aborted) throw error;
  } finally {
    await write(deps.io.stdout, presenter.end());
  }
  deps.log.notice(`${shown} message${shown === 1 ? '' : 's'}${invalid ? `, ${invalid} invalid` : ''}`);
  return deps.signal.aborted && !enough.signal.aborted ? EXIT.interrupted : EXIT.ok;
}

export const tailCommand: CommandModule = {
  configure(command: Command) {
    command
      .argument('[topics...]', 'message types (solved-package), base topics, or raw topic names (anything with a dot)')
      .option('--all', 'every topic of the message catalogue')
      .option('--from-beginning', 'start at the earliest message')
      .option('--offset <n>', 'start at this offset in every partition')
      .option('--since <when>', 'start at messages newer than 10m, 2h, 1d ... or an ISO-8601 date')
      .option('--count <n>', 'stop after printing n messages')
      .option('--exit-at-end', 'stop at the end of every partition (reads from the beginning unless a start is given)')
      .option('--group <id>', 'consume as this consumer group and commit offsets (default: no group, nothing committed)')
      .option('--filter <field=value>', 'only messages whose field has this value (repeatable, all must match); package names compare normalised', collect)
      .option('--show-secrets', 'print secret fields (names containing "password") instead of ***')
      .option('-o, --output <format>', 'pretty | ndjson | json (default: pretty on a terminal, ndjson when piped)')
      .addHelpText(
        'after',
        `
Output:
  pretty  one block per message: time, topic, partition@offset, key, type and version,
          then the fields; invalid messages are flagged in red with every reason.
  ndjson  exactly the recorded-stream line of SPEC §7 (topic, key, headers, value,
          timestamp, partition, offset), so \`thoth replay\` publishes it back unchanged.
          Invalid messages are printed too; their reasons go to stderr.
  json    one array of those objects, each with "type" and, when invalid, "invalid"
          (the field errors).
Secret fields are masked as *** in every format unless --show-secrets.

With --group, a partition where the group has committed an offset continues from
that offset (as every Kafka consumer group does): --from-beginning, --offset and
--since apply only to partitions without a committed offset.

Examples:
  $ thoth tail solved-package
  $ thoth tail unresolved-package solved-package --from-beginning --filter package_name=requests
  $ thoth tail --all --since 10m -o ndjson > recorded.ndjson
  $ thoth tail solved-package --exit-at-end --count 10 -o json`,
      );
  },
  async run(invocation, deps) {
    return runTail(tailOptions(invocation, deps), deps);
  },
};

/**
 * `thoth groups list | describe GROUP | reset-offsets GROUP ...`: consumer
 * groups on Kafka or the embedded broker, as kafka-consumer-groups.sh shows
 * and resets them. A reset is shown with --dry-run and applied with
 * --execute (one of them is required), and refused while the group has members.
 */
import { Command, Option } from '@commander-js/extra-typings';
import { parseSince } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { write } from '../core/io.js';
import { shown } from '../core/quote.js';
import { MESSAGE_TYPES } from '../messages/catalogue.js';
import { DEAD_LETTER_BASE_TOPIC, topicName } from '../messages/topics.js';
import { presentGroup, presentGroupList, presentReset, type GroupsFormat } from '../present/groups.js';
import { applyReset, describeGroup, planReset, type ResetScope, type ResetTarget } from '../services/groups.js';
import type { CommandDefinition } from './command.js';
import { countOf } from './options.js';
import { chosenOutput, outputOption } from './output.js';

const DEFAULT_OUTPUT = { tty: 'table', piped: 'json' } as const;

export type GroupsOptions =
  | { action: 'list'; output: GroupsFormat }
  | { action: 'describe'; group: string; output: Exclude<GroupsFormat, 'name'> }
  | { action: 'reset'; group: string; target: ResetTarget; scope?: ResetScope; execute: boolean; output: Exclude<GroupsFormat, 'name'> };

function shiftOf(text: string): number {
  if (!/^[+-]?\d+$/.test(text))
    throw new UsageError(`--shift-by must be a whole number (negative to go back), got ${JSON.stringify(text)}`);
  return Number(text);
}

export const groupsCommand: CommandDefinition<GroupsOptions> = {
  declare: (parse, done) => {
    const output = <const F extends 'table' | 'wide' | 'json' | 'yaml' | 'name'>(formats: readonly F[]) =>
      outputOption<F | 'table' | 'json'>(formats, DEFAULT_OUTPUT);
    const documents = ['table', 'wide', 'json', 'yaml'] as const;
    return new Command('groups')
      .usage('<action> [options]')
      .addHelpText(
        'after',
        `
Examples:
  $ thoth groups list
  $ thoth groups describe thoth.investigator
  $ thoth groups reset-offsets thoth.investigator --to-earliest --dry-run
  $ thoth groups reset-offsets thoth.investigator --to-datetime 2h --topic unresolved-package --execute
  $ thoth groups reset-offsets thoth.investigator --shift-by -10 --execute
  $ thoth groups reset-offsets thoth.investigator --topic unresolved-package:2 --to-offset 1235 --dry-run`,
      )
      .addCommand(
        new Command('list')
          .description('every consumer group and its state')
          .addOption(output(['table', 'wide', 'json', 'yaml', 'name'] as const))
          .action((o) => done({ action: 'list', output: chosenOutput(o.output, DEFAULT_OUTPUT, parse.isTTY) })),
      )
      .addCommand(
        new Command('describe')
          .description("a group's members and, per partition, its committed offset, the end offset and the lag")
          .argument('<group>', 'consumer group id')
          .addOption(output(documents))
          .action((group, o) => done({ action: 'describe', group, output: chosenOutput(o.output, DEFAULT_OUTPUT, parse.isTTY) })),
      )
      .addCommand(
        new Command('reset-offsets')
          .description("move a group's committed offsets (the group must have no members)")
          .argument('<group>', 'consumer group id')
          .option('--to-earliest', 'to the first offset still in each partition')
          .option('--to-latest', 'to the end of each partition (skip everything waiting)')
          .option('--to-datetime <time>', 'to the first record at or after this time: ISO-8601, or a duration before now (2h)')
          .option('--to-offset <n>', 'to this offset, kept within each partition', countOf('--to-offset', { allowZero: true }))
          .option('--shift-by <n>', 'by N records (negative: back), kept within each partition', shiftOf)
          .option(
            '--topic <topic[:p,...]>',
            'only this topic (a message type or a topic name), and only these partitions when given as TOPIC:0,2 (default: every topic the group has committed to)',
          )
          .addOption(new Option('--dry-run', 'show the new offsets; change nothing').conflicts('execute'))
          .option('--execute', 'set the new offsets')
          .addOption(output(documents))
          .action((group, o) => {
            const targets: ResetTarget[] = [
              ...(o.toEarliest ? [{ to: 'earliest' } as const] : []),
              ...(o.toLatest ? [{ to: 'latest' } as const] : []),
              ...(o.toOffset !== undefined ? [{ to: 'offset', offset: o.toOffset } as const] : []),
              ...(o.toDatetime !== undefined ? [{ to: 'datetime', timestamp: datetimeOf(o.toDatetime, parse.now) } as const] : []),
              ...(o.shiftBy !== undefined ? [{ to: 'shift', by: o.shiftBy } as const] : []),
            ];
            if (targets.length !== 1)
              throw new UsageError('give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by');
            if (!o.dryRun && !o.execute) throw new UsageError('give --dry-run to see the new offsets, or --execute to set them');
            const scope = o.topic === undefined ? undefined : scopeOf(o.topic, parse.settings.deploymentName);
            done({
              action: 'reset',
              group,
              target: targets[0],
              ...(scope !== undefined ? { scope } : {}),
              execute: Boolean(o.execute),
              output: chosenOutput(o.output, DEFAULT_OUTPUT, parse.isTTY),
            });
          }),
      );
  },

  async run(options, { broker: openBroker, io, log }) {
    const { groups } = await openBroker();
    const width = io.stdout.isTTY ? io.stdout.columns : undefined;
    switch (options.action) {
      case 'list': {
        const list = await groups.list();
        if (list.length === 0) log.notice('no consumer groups');
        await write(io.stdout, await presentGroupList(list, options.output, width));
        return;
      }
      case 'describe':
        await write(io.stdout, await presentGroup(await describeGroup(groups, options.group), options.output, width));
        return;
      case 'reset': {
        const rows = await planReset(groups, options.group, options.target, options.scope);
        if (options.execute) await applyReset(groups, options.group, rows);
        log.notice(options.execute ? `group ${options.group}: offsets set` : 'dry run: nothing changed (--execute sets these offsets)');
        await write(io.stdout, await presentReset(rows, options.output, width));
        return;
      }
    }
  },
};

function datetimeOf(text: string, now: number): number {
  const at = parseSince(text, now);
  if (at === undefined)
    throw new UsageError(`--to-datetime expects an ISO-8601 time or a duration such as 2h, got ${JSON.stringify(text)}`);
  return at;
}

/** `--topic TOPIC` or `--topic TOPIC:0,2` (kafka-consumer-groups' form; a topic name holds no ':'). */
function scopeOf(text: string, deployment: string | undefined): ResetScope {
  const at = text.lastIndexOf(':');
  if (at < 0) return { topic: topicOf(text, deployment) };
  const list = text.slice(at + 1);
  if (at === 0 || !/^\d+(,\d+)*$/.test(list))
    throw new UsageError(`--topic takes TOPIC or TOPIC:PARTITION,... (e.g. unresolved-package:0,2), got ${shown(text)}`);
  return { topic: topicOf(text.slice(0, at), deployment), partitions: [...new Set(list.split(',').map(Number))] };
}

/** A message type's name stands for its topic (with the deployment prefix); anything else is a topic name. */
function topicOf(text: string, deployment: string | undefined): string {
  if (text === 'dead-letter') return topicName(DEAD_LETTER_BASE_TOPIC, deployment);
  const type = MESSAGE_TYPES.find((t) => t.name === text);
  return type ? topicName(type.baseTopic, deployment) : text;
}

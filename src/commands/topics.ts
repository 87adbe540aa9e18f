/**
 * `thoth topics [create]`: list every topic of the message catalogue (and the
 * dead-letter topic) with whether it exists, its partitions and its message
 * count; `create` creates the missing ones (upstream did that at investigator
 * start-up, and auto-creation is often off).
 */
import { Argument, Command } from '@commander-js/extra-typings';
import { UsageError } from '../core/errors.js';
import { write } from '../core/io.js';
import { MESSAGE_TYPES } from '../messages/catalogue.js';
import { DEAD_LETTER_BASE_TOPIC, topicName } from '../messages/topics.js';
import { presentCreatedTopics, presentTopics, type TopicRow, type TopicsFormat } from '../present/topics.js';
import type { TopicInfo } from '../transport/port.js';
import type { CommandDefinition } from './command.js';
import { countOf } from './options.js';
import { chosenOutput, outputOption } from './output.js';

const FORMATS = ['table', 'wide', 'json', 'yaml', 'ndjson', 'name'] as const;
const DEFAULT_OUTPUT = { tty: 'table', piped: 'json' } as const;

export interface TopicsOptions {
  create: boolean;
  partitions?: number;
  replicationFactor?: number;
  output: TopicsFormat;
  deploymentName?: string;
}

/** The catalogue's topics, full names, in catalogue order, then the dead-letter topic. */
export function catalogueTopics(deployment?: string): Array<{ topic: string; type: string }> {
  return [
    ...MESSAGE_TYPES.map((t) => ({ topic: topicName(t.baseTopic, deployment), type: t.name })),
    { topic: topicName(DEAD_LETTER_BASE_TOPIC, deployment), type: 'dead-letter' },
  ];
}

export function topicRows(existing: TopicInfo[], deployment?: string): TopicRow[] {
  const byName = new Map(existing.map((t) => [t.name, t]));
  return catalogueTopics(deployment).map(({ topic, type }) => {
    const info = byName.get(topic);
    const row: TopicRow = { topic, type, exists: Boolean(info), partitions: info?.partitions ?? null, messages: info?.messages ?? null };
    if (info?.partitionDetails) row.partition_details = info.partitionDetails;
    if (info?.config) row.config = info.config;
    return row;
  });
}

export const topicsCommand: CommandDefinition<TopicsOptions> = {
  declare: (parse, done) =>
    new Command('topics')
      .addArgument(
        new Argument('[action]', '"create" to create the missing topics; nothing to list them')
          .choices(['create'] as const)
          .argParser((value): 'create' => {
            if (value === 'create') return value;
            throw new UsageError(`unknown action "${value}": thoth topics lists, thoth topics create creates`);
          }),
      )
      .option('--partitions <n>', "with create: partitions per new topic (default: the broker's)", countOf('--partitions'))
      .option(
        '--replication-factor <n>',
        "with create: replication factor of new topics (default: the broker's)",
        countOf('--replication-factor'),
      )
      .addOption(outputOption(FORMATS, DEFAULT_OUTPUT))
      .addHelpText(
        'after',
        `
Topic names carry the deployment prefix (--deployment-name, else THOTH_DEPLOYMENT_NAME).
On Kafka, each existing topic is also shown as kcat -L shows it: every partition's
leader, replicas and in-sync replicas, with its low and high offsets (the high-water
mark), and the topic's settings that differ from the broker's defaults
(compression.type, retention.ms, ...). On a narrow terminal the table leaves out the
message count, then the type; -o wide shows every column; -o name only the names.
topics create gives new topics
KAFKA_TOPIC_PRODUCER_COMPRESSION_TYPE (and _LEVEL), as thoth-messaging does.

Examples:
  $ thoth topics
  $ thoth topics create --partitions 3
  $ thoth --deployment-name staging topics -o json`,
      )
      .action((action, flags) =>
        done({
          create: action === 'create',
          partitions: flags.partitions,
          replicationFactor: flags.replicationFactor,
          output: chosenOutput(flags.output, DEFAULT_OUTPUT, parse.isTTY),
          deploymentName: parse.settings.deploymentName,
        }),
      ),

  async run(options, { broker: openBroker, io, log }) {
    const broker = await openBroker();
    if (!options.create) {
      await write(
        io.stdout,
        await presentTopics(
          topicRows(await broker.topics(catalogueTopics(options.deploymentName).map((t) => t.topic)), options.deploymentName),
          options.output,
          io.stdout.columns,
        ),
      );
      return;
    }
    if (broker.kind === 'embedded' && (options.partitions ?? 1) > 1) {
      log.notice(`the embedded broker has one partition per topic: --partitions ${options.partitions} does not apply`);
    }
    const wanted = catalogueTopics(options.deploymentName).map((t) => t.topic);
    const created = await broker.createTopics(wanted, { partitions: options.partitions, replicationFactor: options.replicationFactor });
    const existed = wanted.length - created.length;
    log.notice(`created ${created.length} topic${created.length === 1 ? '' : 's'}; ${existed} already existed`);
    await write(io.stdout, await presentCreatedTopics(created, options.output));
  },
};

/**
 * `thoth topics [create]`: list every topic of the message catalogue (and the
 * dead-letter topic) with whether it exists, its partitions and its message
 * count; `create` creates the missing ones (upstream did that at investigator
 * start-up, and auto-creation is often off).
 */
import type { Command } from 'commander';
import type { Deps } from '../cli/deps.js';
import { checkedDeploymentName } from '../cli/deployment.js';
import { UsageError } from '../cli/errors.js';
import { write } from '../cli/io.js';
import { MESSAGE_TYPES } from '../messages/catalogue.js';
import { DEAD_LETTER_BASE_TOPIC, topicName } from '../messages/topics.js';
import type { TopicInfo } from '../transport/port.js';
import { outputFormat, parseCount } from '../cli/output.js';
import { renderGrid } from '../ui/table.js';
import { renderOutput } from '../ui/table.js';
import type { CommandModule, Invocation } from './types.js';

const FORMATS = ['table', 'json', 'yaml', 'ndjson'] as const;

export interface TopicRow {
  topic: string;
  /** CLI name of the message type it carries; `dead-letter` for the dead-letter topic. */
  type: string;
  exists: boolean;
  partitions: number | null;
  messages: number | null;
}

export interface TopicsOptions {
  create: boolean;
  partitions?: number;
  replicationFactor?: number;
  output: (typeof FORMATS)[number];
  deploymentName?: string;
}

export function topicsOptions(invocation: Invocation, deps: Pick<Deps, 'globals' | 'env' | 'io'>): TopicsOptions {
  const [action] = invocation.operands as [string | undefined];
  if (action !== undefined && action !== 'create') throw new UsageError(`unknown action "${action}": thoth topics lists, thoth topics create creates`);
  const o = invocation.options;
  return {
    create: action === 'create',
    partitions: parseCount('--partitions', o.partitions),
    replicationFactor: parseCount('--replication-factor', o.replicationFactor),
    output: outputFormat(o.output, FORMATS, { tty: 'table', piped: 'json' }, deps.io.stdout.isTTY),
    deploymentName: checkedDeploymentName(deps.globals, deps.env),
  };
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
    return { topic, type, exists: Boolean(info), partitions: info?.partitions ?? null, messages: info?.messages ?? null };
  });
}

export async function presentTopics(rows: TopicRow[], format: TopicsOptions['output']): Promise<string> {
  if (format === 'json' || format === 'yaml') return renderOutput(rows, format);
  if (format === 'ndjson') return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  return renderGrid(
    ['TOPIC', 'TYPE', 'EXISTS', 'PARTITIONS', 'MESSAGES'],
    rows.map((r) => [r.topic, r.type, r.exists ? 'yes' : 'no', r.partitions === null ? '-' : String(r.partitions), r.messages === null ? '-' : String(r.messages)]),
  );
}

export async function runTopics(options: TopicsOptions, deps: Deps): Promise<number> {
  const broker = await deps.broker();
  if (!options.create) {
    await write(deps.io.stdout, await presentTopics(topicRows(await broker.topics(), options.deploymentName), options.output));
    return 0;
  }
  if (broker.kind === 'embedded' && (options.partitions ?? 1) > 1) {
    deps.log.notice(`the embedded broker has one partition per topic: --partitions ${options.partitions} does not apply`);
  }
  const wanted = catalogueTopics(options.deploymentName).map((t) => t.topic);
  const created = await broker.createTopics(wanted, { partitions: options.partitions, replicationFactor: options.replicationFactor });
  const existed = wanted.length - created.length;
  deps.log.notice(`created ${created.length} topic${created.length === 1 ? '' : 's'}; ${existed} already existed`);
  if (options.output === 'table') await write(deps.io.stdout, created.map((name) => `${name}\n`).join(''));
  else if (options.output === 'ndjson') await write(deps.io.stdout, created.map((name) => `${JSON.stringify(name)}\n`).join(''));
  else await write(deps.io.stdout, await renderOutput(created, options.output));
  return 0;
}

export const topicsCommand: CommandModule = {
  configure(command: Command) {
    command
      .argument('[action]', '"create" to create the missing topics; nothing to list them')
      .option('--partitions <n>', 'with create: partitions per new topic (default: the broker\'s)')
      .option('--replication-factor <n>', 'with create: replication factor of new topics (default: the broker\'s)')
      .option('-o, --output <format>', 'table | json | yaml | ndjson (default: table on a terminal, json when piped)')
      .addHelpText(
        'after',
        `
Topic names carry the deployment prefix (--deployment-name, else THOTH_DEPLOYMENT_NAME).

Examples:
  $ thoth topics
  $ thoth topics create --partitions 3
  $ thoth --deployment-name staging topics -o json`,
      );
  },
  async run(invocation, deps) {
    return runTopics(topicsOptions(invocation, deps), deps);
  },
};

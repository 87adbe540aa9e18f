/**
 * `thoth publish <type> [package==version]`: build a message from flags (or
 * --json, or every line of --file), validate it against the catalogue, and
 * send it; print where it landed, or with --dry-run the exact body.
 */
import type { Command } from 'commander';
import type { Deps } from '../cli/deps.js';
import { checkedDeploymentName } from '../cli/deployment.js';
import { UsageError, UserError } from '../cli/errors.js';
import { write } from '../cli/io.js';
import { thothVersion } from '../cli/version.js';
import { messageType, type MessageType } from '../messages/catalogue.js';
import { maskHeaders } from '../messages/present.js';
import { maskSecrets } from '../messages/secrets.js';
import { topicName } from '../messages/topics.js';
import { serializeMessage } from '../messages/validate.js';
import type { RecordPosition } from '../transport/port.js';
import type { KnowledgeStore } from '../store/types.js';
import { createExecutor, type PublishRecord } from '../investigate/executor.js';
import { prepareFile } from '../streams/batch.js';
import { collect, outputFormat } from '../cli/output.js';
import { renderGrid, renderOutput } from '../ui/table.js';
import { checkPublishFlags, prepareMessage, type PreparedMessage, type PublishFlags } from '../streams/prepare.js';
import type { CommandModule, Invocation } from './types.js';

const FORMATS = ['table', 'json', 'yaml', 'ndjson'] as const;
type Format = (typeof FORMATS)[number];

/** Failures listed before "and N more". */
const SHOWN_FAILURES = 20;

export interface PublishOptions {
  type: MessageType;
  flags: PublishFlags;
  json?: string;
  file?: string;
  dryRun: boolean;
  showSecrets: boolean;
  skipInvalid: boolean;
  output: Format;
}

export function publishOptions(invocation: Invocation, isTTY: boolean | undefined): PublishOptions {
  const [typeName, spec] = invocation.operands as [string, string | undefined];
  const o = invocation.options;
  if (o.json !== undefined && o.file !== undefined) throw new UsageError('--json and --file cannot be used together');
  const type = messageType(typeName);
  const flags: PublishFlags = {
    spec,
    fields: (o.field as string[] | undefined) ?? [],
    indexUrl: o.indexUrl as string | undefined,
    solver: o.solver as string | undefined,
    key: o.key as string | undefined,
    headers: (o.header as string[] | undefined) ?? [],
    adviserId: o.adviserId as string | undefined,
    recommendationType: o.recommendationType as string | undefined,
  };
  checkPublishFlags(type, flags);
  return {
    type,
    flags,
    json: o.json as string | undefined,
    file: o.file as string | undefined,
    dryRun: Boolean(o.dryRun),
    showSecrets: Boolean(o.showSecrets),
    skipInvalid: Boolean(o.skipInvalid),
    output: outputFormat(o.output, FORMATS, { tty: 'table', piped: 'ndjson' }, isTTY),
  };
}

function jsonFields(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--json is not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError('--json must be a JSON object of message fields');
  return value as Record<string, unknown>;
}

/** Prepares every message first: nothing is sent unless all are valid (or --skip-invalid). */
async function prepareAll(options: PublishOptions, deps: Deps): Promise<PreparedMessage[]> {
  const context = { env: deps.env, origin: { componentName: 'thoth', serviceVersion: thothVersion() }, notice: deps.log.notice };
  if (options.file === undefined) return [prepareMessage(options.type, jsonFields(options.json), options.flags, context)];
  const source = options.file === '-' ? '<stdin>' : options.file;
  const batch = await prepareFile(options.type, options.file, deps.io.stdin, options.flags, context);
  const listed = batch.failures.slice(0, SHOWN_FAILURES).map((f) => `${source}:${f.line}: ${f.reason}`);
  if (batch.failures.length > SHOWN_FAILURES) listed.push(`... and ${batch.failures.length - SHOWN_FAILURES} more`);
  if (batch.failures.length > 0 && !options.skipInvalid) {
    throw new UserError(
      `${batch.failures.length} of ${batch.failures.length + batch.messages.length} lines of ${source} are invalid; nothing was published:\n${listed.join('\n')}`,
      '--skip-invalid publishes the valid lines and reports the others',
    );
  }
  for (const line of listed) deps.log.warn(`skipped ${line}`);
  if (batch.messages.length === 0) throw new UserError(`${source} holds no valid message; nothing was published`);
  return batch.messages;
}

export async function presentPositions(positions: Array<RecordPosition & { key: string | null }>, format: Format): Promise<string> {
  if (format === 'json' || format === 'yaml') return renderOutput(positions, format);
  if (format === 'ndjson') return positions.map((p) => `${JSON.stringify(p)}\n`).join('');
  return renderGrid(
    ['TOPIC', 'PARTITION', 'OFFSET', 'KEY'],
    positions.map((p) => [p.topic, String(p.partition), String(p.offset), p.key ?? '']),
  );
}

/** Publish effects never read or write the knowledge cache, so publishing to Kafka creates no cache file. */
const PUBLISH_TOUCHES_NO_CACHE = new Proxy({} as KnowledgeStore, {
  get: (_target, name) => {
    throw new Error(`bug: thoth publish reached the knowledge cache (${String(name)})`);
  },
});

export async function runPublish(options: PublishOptions, deps: Deps): Promise<number> {
  const messages = await prepareAll(options, deps);
  const topic = topicName(options.type.baseTopic, checkedDeploymentName(deps.globals, deps.env));
  if (options.dryRun) {
    const first = messages[0]!;
    const headers = Object.entries(maskHeaders(first.headers)).map(([k, v]) => `${k}=${v}`).join(' ');
    deps.log.notice(`dry run: would publish ${messages.length} message(s) to ${topic} (key ${first.key ?? 'none'}${headers ? `, headers ${headers}` : ''})`);
    // The exact body, but a password the user typed is not echoed unless asked for.
    let masked = false;
    for (const message of messages) {
      const body = options.showSecrets ? message.body : serializeMessage(options.type, maskSecrets(message.message));
      masked ||= body !== message.body;
      await write(deps.io.stdout, `${body}\n`);
    }
    if (masked) deps.log.notice('secret fields are shown as *** (--show-secrets prints them)');
    return 0;
  }
  const broker = await deps.broker();
  let positions: RecordPosition[] = [];
  const send = async (records: PublishRecord[]) => {
    positions = await broker.send(records.map((r) => ({ topic, key: r.key, headers: r.headers, value: serializeMessage(options.type, r.message) })));
  };
  // The investigator's follow-ups, thoth submit and thoth publish share one effect executor.
  await createExecutor({
    store: PUBLISH_TOUCHES_NO_CACHE,
    kube: null,
    namespaceFor: () => {
      throw new Error('bug: thoth publish scheduled a workflow');
    },
    publish: (record) => send([record]),
    publishBatch: send,
    now: deps.now,
    origin: { componentName: 'thoth', serviceVersion: thothVersion() },
  }).execute(
    messages.map((m) => ({ type: 'publish', messageType: options.type.name, message: m.message, key: m.key, headers: m.headers })),
    null,
  );
  const shown = positions.map((p, i) => ({ topic: p.topic, partition: p.partition, offset: p.offset, key: messages[i]!.key }));
  await write(deps.io.stdout, await presentPositions(shown, options.output));
  return 0;
}

export const publishCommand: CommandModule = {
  configure(command: Command) {
    command
      .argument('<type>', 'message type (e.g. unresolved-package); see `thoth schema <type>` for its fields')
      .argument('[package]', 'package spec name==version for package messages (sets package_name and package_version)')
      .option('--field <name=value>', 'set a field (repeatable); typed by the catalogue: int, bool (true/false), str[] as a,b or JSON, objects as JSON; nested as metadata.package_name=x', collect)
      .option('--json <object>', 'message fields as one JSON object (flags override it)')
      .option('--file <path>', 'publish every line of an NDJSON file (`-` for stdin), each a JSON object of the message\'s fields (recorded envelopes: thoth replay)')
      .option('--skip-invalid', 'with --file: publish the valid lines and report the others (default: publish nothing if any line is invalid)')
      .option('--index-url <url>', 'index_url (default: first of THOTH_INDEX_URLS, else PIP_INDEX_URL, else index-url from pip.conf / PIP_CONFIG_FILE)')
      .option('--solver <name>', 'solver field (e.g. solver-rhel-8-py38)')
      .option('--key <key>', 'record key (default: the subject name==version for package messages, none otherwise)')
      .option('--header <name=value>', 'record header (repeatable)', collect)
      .option('--adviser-id <id>', 'unresolved-package only: the advice run waiting on this package (sets header thoth-adviser-id)')
      .option('--recommendation-type <type>', 'with --adviser-id: sets header thoth-recommendation-type: latest, stable, testing, performance or security (the investigator assumes latest)')
      .option('--dry-run', 'validate and print the exact body; send nothing')
      .option('--show-secrets', 'with --dry-run: print password fields instead of ***')
      .option('-o, --output <format>', 'table | json | yaml | ndjson (default: table on a terminal, ndjson when piped)')
      .addHelpText(
        'after',
        `
Prints where each message landed (topic, partition, offset, key). The body is written
exactly as thoth-messaging 0.16 writes it, so Python consumers read it unchanged.

Examples:
  $ thoth publish unresolved-package requests==2.25.1 --index-url https://index.example/simple
  $ thoth publish unresolved-package requests==2.25.1 --adviser-id adviser-211127-abc --recommendation-type stable
  $ thoth publish update-provides-source-distro flask==2.0.1 --field value=false --dry-run
  $ thoth publish adviser-trigger --json '{"recommendation_type": "latest"}' --field dev=true
  $ thoth publish solved-package --file solved.ndjson --skip-invalid`,
      );
  },
  async run(invocation, deps) {
    return runPublish(publishOptions(invocation, deps.io.stdout.isTTY), deps);
  },
};

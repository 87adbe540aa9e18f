/**
 * `thoth publish <type> [package==version]`: build a message from flags (or
 * --json, or every line of --file), validate it against the catalogue, and
 * send it; print where it landed, or with --dry-run the exact body.
 */
import { Command } from '@commander-js/extra-typings';
import { CancelledError, UsageError, UserError } from '../core/errors.js';
import { write } from '../core/io.js';
import { thothVersion } from '../core/version.js';
import { RECOMMENDATION_TYPES, messageType, type MessageType } from '../messages/catalogue.js';
import { JsonObject, fieldsOf, parseJsonText } from '../messages/json-text.js';
import { carriesSecrets, maskHeaders, maskSecrets } from '../messages/secrets.js';
import { topicName } from '../messages/topics.js';
import { serializeMessage } from '../messages/validate.js';
import { followUpPublisher } from '../investigate/follow-up-publisher.js';
import { presentPositions, type PublishFormat } from '../present/publish.js';
import { prepareFile } from '../services/publish-file.js';
import { sendWithRetry } from '../services/send-with-retry.js';
import {
  checkPublishFlags,
  prepareMessage,
  type PrepareContext,
  type PreparedMessage,
  type PublishFlags,
} from '../services/publish-prepare.js';
import type { RecordPosition } from '../transport/port.js';
import type { CommandDefinition } from './command.js';
import type { CommandContext } from './context.js';
import { choiceOption, collect, countOf } from './options.js';
import { chosenOutput, outputOption } from './output.js';

const FORMATS = ['table', 'wide', 'json', 'yaml', 'ndjson'] as const;
const DEFAULT_OUTPUT = { tty: 'table', piped: 'ndjson' } as const;

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
  output: PublishFormat;
  deploymentName?: string;
  /** With --file: the first line to publish (the lines before it were published by an earlier run). */
  resumeFrom?: number;
  /** --partition: the partition every message goes to (else the key's). */
  partition?: number;
}

function resumeWithFile(line: number, file: string | undefined): number {
  if (file === undefined) throw new UsageError('--resume-from applies to --file: it names the first line of the file to publish');
  return line;
}

/** The --json object, read without loss: numbers as written, key order and every key kept. */
function jsonFields(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  const parsed = parseJsonText(text);
  if (!parsed.ok) throw new UsageError(`--json is not valid JSON (${parsed.reason} at character ${parsed.offset})`);
  if (!(parsed.value instanceof JsonObject)) throw new UsageError('--json must be a JSON object of message fields');
  return fieldsOf(parsed.value);
}

/** Prepares every message first: nothing is sent unless all are valid (or --skip-invalid). */
async function prepareAll(options: PublishOptions, context: Pick<CommandContext, 'settings' | 'io' | 'log'>): Promise<PreparedMessage[]> {
  const prepare: PrepareContext = {
    defaultIndexUrl: () => context.settings.defaultIndexUrl,
    origin: { componentName: 'thoth', serviceVersion: thothVersion() },
    notice: context.log.notice,
  };
  if (options.file === undefined) return [prepareMessage(options.type, jsonFields(options.json), options.flags, prepare)];
  const source = options.file === '-' ? '<stdin>' : options.file;
  const batch = await prepareFile(options.type, options.file, context.io.stdin, options.flags, prepare);
  const listed = batch.failures.slice(0, SHOWN_FAILURES).map((f) => `${source}:${f.line}: ${f.reason}`);
  if (batch.failures.length > SHOWN_FAILURES) listed.push(`... and ${batch.failures.length - SHOWN_FAILURES} more`);
  if (batch.failures.length > 0 && !options.skipInvalid) {
    throw new UserError(
      `${batch.failures.length} of ${batch.failures.length + batch.messages.length} lines of ${source} are invalid; nothing was published:\n${listed.join('\n')}`,
      '--skip-invalid publishes the valid lines and reports the others',
    );
  }
  for (const line of listed) context.log.warn(`skipped ${line}`);
  const from = options.resumeFrom;
  const wanted = from === undefined ? batch.messages : batch.messages.filter((m) => m.line >= from);
  if (from !== undefined)
    context.log.notice(`resuming at ${source}:${from}: ${batch.messages.length - wanted.length} message(s) before it not published again`);
  if (wanted.length === 0)
    throw new UserError(`${source} holds no valid message${from === undefined ? '' : ` from line ${from} on`}; nothing was published`);
  return wanted;
}

export const publishCommand: CommandDefinition<PublishOptions> = {
  declare: (parse, done) =>
    new Command('publish')
      .argument('<type>', 'message type (e.g. unresolved-package); see `thoth schema <type>` for its fields')
      .argument('[package]', 'package spec name==version for package messages (sets package_name and package_version)')
      .option(
        '--field <name=value>',
        'set a field (repeatable); typed by the catalogue: int, bool (true/false), str[] as a,b or JSON, objects as JSON; nested as metadata.package_name=x',
        collect,
      )
      .option('--json <object>', 'message fields as one JSON object (flags override it)')
      .option(
        '--file <path>',
        "publish every line of an NDJSON file (`-` for stdin), each a JSON object of the message's fields (recorded envelopes: thoth replay)",
      )
      .option(
        '--resume-from <line>',
        'with --file: publish from this line on (what a failed publish did not send)',
        countOf('--resume-from'),
      )
      .option(
        '--skip-invalid',
        'with --file: publish the valid lines and report the others (default: publish nothing if any line is invalid)',
      )
      .option(
        '--index-url <url>',
        'index_url (default: first of THOTH_INDEX_URLS, else PIP_INDEX_URL, else index-url from pip.conf / PIP_CONFIG_FILE)',
      )
      .option('--solver <name>', 'solver field (e.g. solver-rhel-8-py38)')
      .option('--key <key>', 'record key (default: the subject name==version for package messages, none otherwise)')
      .option('--header <name=value>', 'record header (repeatable)', collect)
      .option(
        '--partition <n>',
        "write to this partition (kcat's -p; default: the one the key hashes to, as upstream's producer and kcat choose)",
        countOf('--partition', { allowZero: true }),
      )
      .option('--adviser-id <id>', 'unresolved-package only: the advice run waiting on this package (sets header thoth-adviser-id)')
      .addOption(
        choiceOption(
          '--recommendation-type <type>',
          'with --adviser-id: sets header thoth-recommendation-type: latest, stable, testing, performance or security (the investigator assumes latest)',
          RECOMMENDATION_TYPES,
        ),
      )
      .option('--dry-run', 'validate and print the exact body; send nothing')
      .option('--show-secrets', 'with --dry-run: print password fields instead of ***')
      .addOption(outputOption(FORMATS, DEFAULT_OUTPUT))
      .addHelpText(
        'after',
        `
Prints where each message landed (topic, partition, offset, key). The body is written
exactly as thoth-messaging 0.16 writes it, so Python consumers read it unchanged.

Examples:
  $ thoth publish unresolved-package requests==2.25.1 --index-url https://index.example/simple
  $ thoth publish unresolved-package requests==2.25.1 --adviser-id adviser-211127-abc --recommendation-type stable \\
      --index-url https://index.example/simple
  $ thoth publish update-provides-source-distro flask==2.0.1 --field value=false --dry-run --index-url https://index.example/simple
  $ thoth publish adviser-trigger --json '{"recommendation_type": "latest"}' --field dev=true
  $ thoth publish solved-package --file solved.ndjson --skip-invalid`,
      )
      .action((typeName, spec, o) => {
        if (o.json !== undefined && o.file !== undefined) throw new UsageError('--json and --file cannot be used together');
        const type = messageType(typeName);
        const flags: PublishFlags = {
          spec,
          fields: o.field ?? [],
          indexUrl: o.indexUrl,
          solver: o.solver,
          key: o.key,
          headers: o.header ?? [],
          adviserId: o.adviserId,
          recommendationType: o.recommendationType,
        };
        checkPublishFlags(type, flags);
        done({
          type,
          flags,
          json: o.json,
          file: o.file,
          dryRun: Boolean(o.dryRun),
          showSecrets: Boolean(o.showSecrets),
          skipInvalid: Boolean(o.skipInvalid),
          ...(o.resumeFrom !== undefined ? { resumeFrom: resumeWithFile(o.resumeFrom, o.file) } : {}),
          output: chosenOutput(o.output, DEFAULT_OUTPUT, parse.isTTY),
          deploymentName: parse.settings.deploymentName,
          ...(o.partition !== undefined ? { partition: o.partition } : {}),
        });
      }),

  async run(options, context) {
    const messages = await prepareAll(options, context);
    const topic = topicName(options.type.baseTopic, options.deploymentName);
    const { io, log } = context;
    if (options.dryRun) {
      const first = messages[0];
      const headers = Object.entries(maskHeaders(first.headers))
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      log.notice(
        `dry run: would publish ${messages.length} message(s) to ${topic}${options.partition === undefined ? '' : ` partition ${options.partition}`} (key ${first.key ?? 'none'}${headers ? `, headers ${headers}` : ''})`,
      );
      // The exact body, but a password the user typed is not echoed unless asked for.
      let masked = false;
      for (const message of messages) {
        const body =
          options.showSecrets || !carriesSecrets(message.message)
            ? message.body
            : serializeMessage(options.type, maskSecrets(message.message));
        masked ||= body !== message.body;
        await write(io.stdout, `${body}\n`);
      }
      if (masked) log.notice('secret fields are shown as *** (--show-secrets prints them)');
      return;
    }
    const broker = await context.broker();
    const positions: RecordPosition[] = [];
    const shown = () => positions.map((p, i) => ({ topic: p.topic, partition: p.partition, offset: p.offset, key: messages[i].key }));
    // The same follow-up publishing the investigator uses: one body builder, one check, one acknowledgement.
    const publisher = followUpPublisher({
      send: async (records) => {
        // In batches, each retried while the broker is away (the idempotent producer writes it once).
        for (let start = 0; start < records.length; start += PUBLISH_BATCH) {
          const batch = records.slice(start, start + PUBLISH_BATCH);
          const sent = await sendWithRetry(
            batch.map((r) => ({
              topic,
              key: r.key,
              headers: r.headers,
              value: serializeMessage(options.type, r.message),
              ...(options.partition === undefined ? {} : { partition: options.partition }),
            })),
            { broker, log, signal: context.signal, now: context.clock.now },
          );
          positions.push(...sent);
        }
      },
      origin: { componentName: 'thoth', serviceVersion: thothVersion() },
    });
    try {
      await publisher.send(
        messages.map((m) => publisher.prepare({ messageType: options.type.name, message: m.message, key: m.key, headers: m.headers })),
      );
    } catch (error) {
      // What was acknowledged is printed; what was not is named, with the way to send only that.
      if (positions.length > 0) await write(io.stdout, await presentPositions(shown(), options.output, io.stdout.columns));
      throw notPublished(error, options, messages, positions.length);
    }
    await write(io.stdout, await presentPositions(shown(), options.output, io.stdout.columns));
  },
};

/** Messages per produce request (and per retry) of `publish`. */
const PUBLISH_BATCH = 500;

/** The failure of a publish, saying which --file lines were published and which were not. */
function notPublished(error: unknown, options: PublishOptions, messages: PreparedMessage[], published: number): unknown {
  if (options.file === undefined || !(error instanceof Error) || error instanceof CancelledError) return error;
  const source = options.file === '-' ? '<stdin>' : options.file;
  const next = (messages[published] as PreparedMessage & { line?: number }).line;
  if (next === undefined) return error;
  const done = published === 0 ? 'nothing was published' : `the ${published} messages before line ${next} were published (printed above)`;
  return new UserError(
    `${error.message}\n${source}: ${done}; none from line ${next} on was acknowledged by the broker`,
    `run the same command with --resume-from ${next} to publish the rest`,
  );
}

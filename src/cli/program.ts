/** The root of the command line: the global options every command has (SPEC §6) and the top-level help. */
import { Command, Option } from '@commander-js/extra-typings';
import { COMPRESSION_CODECS, type Compression } from '../config/kafka-options.js';
import type { GlobalOptions } from '../config/settings.js';
import { UsageError } from '../core/errors.js';
import { collect } from '../commands/options.js';
import { thothVersion } from '../core/version.js';
import { HELP_TOPICS } from './help-topics.js';

export function rootProgram(output: { out: (text: string) => void; err: (text: string) => void }) {
  return new Command('thoth')
    .description("Publish, tail, replay and investigate Project Thoth's continuous-learning messages")
    .version(thothVersion(), '--version', 'print the version')
    .addOption(
      new Option(
        '-b, --broker <servers>',
        'host:port,... (kafka:// optional) or "embedded" (default: KAFKA_BOOTSTRAP_SERVERS, else embedded)',
      ),
    )
    .addOption(
      new Option(
        '-X, --kafka-option <property=value>',
        "a Kafka client property, as kcat's -X (repeatable; those kafkajs has: see the error for the list)",
      ).argParser(collect),
    )
    .addOption(
      new Option('-z, --compression <codec>', 'compress what thoth produces: none, gzip, snappy, lz4 or zstd (kcat -z)')
        .choices(COMPRESSION_CODECS)
        .argParser((value: string): Compression => {
          const codec = COMPRESSION_CODECS.find((c) => c === value);
          if (codec === undefined) throw new UsageError(`--compression must be one of ${COMPRESSION_CODECS.join(', ')}, got "${value}"`);
          return codec;
        }),
    )
    .addOption(new Option('--db <path>', 'knowledge cache file (default: $THOTH_HOME/thoth.db or ~/.thoth/thoth.db)'))
    .addOption(new Option('--deployment-name <name>', 'topic prefix (default: THOTH_DEPLOYMENT_NAME)'))
    .addOption(
      new Option(
        '--thoth-context <name>',
        'use this context of the configuration file for this command (default: THOTH_CONTEXT, else its current-context; see thoth config)',
      ),
    )
    .addOption(
      new Option(
        '-o, --output <format>',
        "table | wide | json | yaml | ndjson | name: the command's -o, wherever it stands (each command takes those that make sense)",
      ),
    )
    .option('-q, --quiet', 'print only results')
    .option('-v, --verbose', 'print debugging detail on stderr')
    .option('--no-color', 'no colours (also NO_COLOR)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeOut: output.out, writeErr: output.err })
    .addHelpText(
      'after',
      `
Examples:
  $ thoth publish unresolved-package requests==2.25.1 --index-url https://index.example/simple
  $ thoth -b 127.0.0.1:9092 -z zstd replay incident.ndjson
  $ thoth tail solved-package --from-beginning
  $ thoth replay fixtures/streams/continuous-learning.ndjson
  $ thoth investigate --from fixtures/streams/continuous-learning.ndjson --index-url https://index.example/simple
  $ thoth submit solver requests==2.25.1 --namespace thoth --dry-run client --index-url https://index.example/simple
  $ thoth query package requests

Broker: Kafka when -b/--broker host:port or KAFKA_BOOTSTRAP_SERVERS is set, otherwise the
embedded broker (topics kept in the local SQLite file). Exit codes: 0 ok, 1 failure,
2 usage error, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).

Help topics:
${Object.entries(HELP_TOPICS)
  .map(([name, topic]) => `  thoth help ${name}  ${topic.summary}`)
  .join('\n')}`,
    );
}

export type RootProgram = ReturnType<typeof rootProgram>;

/** The global options as commander parsed them. */
export function globalOptions(program: RootProgram): GlobalOptions {
  const g = program.opts();
  return {
    broker: g.broker,
    kafkaOptions: g.kafkaOption,
    compression: g.compression,
    db: g.db,
    deploymentName: g.deploymentName,
    thothContext: g.thothContext,
    quiet: Boolean(g.quiet),
    verbose: Boolean(g.verbose),
    color: g.color,
  };
}

/**
 * `thoth investigate`: run the investigator in the foreground (SPEC §3, §6).
 * Declares the flags, turns them into typed options, builds the runner's
 * ports (source, store, cluster) and runs the loop
 * (src/investigate/runner.ts); src/present/investigate.ts shows it.
 */
import { readFileSync } from 'node:fs';
import { Command } from '@commander-js/extra-typings';
import { investigatorConfig, type InvestigatorConfig } from '../config/investigator.js';
import { parseModes } from '../config/investigator-settings.js';
import { parsePendingLimit } from '../config/settings.js';
import { UsageError, UserError } from '../core/errors.js';
import { write } from '../core/io.js';
import type { InvestigatorEvent, EventSink } from '../investigate/events.js';
import { subscribedTopics } from '../investigate/modes.js';
import { DEFAULT_MAX_IN_FLIGHT } from '../investigate/executor.js';
import { DEFAULT_RETRY } from '../investigate/retry.js';
import { knowledgeTopics, runInvestigator, type RunnerOptions } from '../investigate/runner.js';
import { brokerSource, fileSource, type InvestigatorSource } from '../investigate/sources.js';
import { buildSummary, learnedCollector } from '../investigate/summary.js';
import { DEFAULT_BATCH, type BatchBounds } from '../transport/batch.js';
import { parseExpectation, runOutcome, scenarioMismatches } from '../investigate/expectation.js';
import {
  eventPresenter,
  failingNotice,
  formatCounts,
  formatExpectation,
  presentSummary,
  type InvestigateFormat,
} from '../present/investigate.js';
import { configuredNamespace, namespaceFor, type NamespaceOptions } from '../workflows/namespaces.js';
import type { KubeClient, WorkflowKind } from '../workflows/types.js';
import type { CommandDefinition } from './command.js';
import type { CommandContext, KubeOptions } from './context.js';
import { choiceOption, collect, countOf } from './options.js';
import { chosenOutput, outputOption } from './output.js';

const FORMATS = ['table', 'wide', 'json', 'yaml', 'ndjson'] as const;
const DEFAULT_OUTPUT = { tty: 'table', piped: 'ndjson' } as const;

export const DEFAULT_PORT = 6066;
export const DEFAULT_GROUP = 'thoth.investigator';
/** Where workflows go in record mode when no namespace is configured: the design card's namespace. */
export const RECORD_MODE_NAMESPACE = 'thoth';

/** Attempts a record failing transiently gets in a `--from` run before it is dead-lettered. */
const FROM_FILE_MAX_ATTEMPTS = 8;

export interface InvestigateOptions {
  config: InvestigatorConfig;
  from?: string;
  untilIdleMs?: number;
  group: string;
  startFrom: 'earliest' | 'latest';
  workflows?: 'cluster' | 'record';
  kube: KubeOptions;
  namespaces: NamespaceOptions;
  port: number | null;
  portGiven: boolean;
  host: string;
  /** --operator-host: names besides IP addresses, localhost and --host that the endpoints answer to. */
  operatorHosts: string[];
  /** --operator-token-file: /halt and /resume need this bearer token. */
  operatorTokenFile?: string;
  pendingLimit?: number;
  maxBytes: number;
  /** text: dashboard (on a terminal) and a summary for people; ndjson: one JSON line per event, the summary last. */
  format: InvestigateFormat;
  /** --max-retries: undefined retries a transient failure until it passes. */
  maxAttempts?: number;
  /** --batch-max, --batch-ms: records committed together at most, and how long a batch stays open. */
  batch: BatchBounds;
  /** --max-in-flight: workflow creates in flight at once, across the records of a batch. */
  maxInFlight: number;
  /** --expect: an expectation file (fixtures/scenarios format) the run is compared with. */
  expect?: string;
  /** --allow-dead-letters: a --from run that dead-letters messages still exits 0. */
  allowDeadLetters: boolean;
}

/** The bearer token of the operator endpoints: the file's first line (a mounted Secret key), never shown. */
function readOperatorToken(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UserError(
      `cannot read --operator-token-file ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      'pass a file holding the token, such as a mounted Secret key',
    );
  }
  const token = text.split(/\r?\n/)[0].trim();
  if (token.length < 16 || /\s/.test(token)) {
    throw new UsageError(`--operator-token-file ${path}: the token must be one line of at least 16 characters without spaces`);
  }
  return token;
}

/** A port, or 'none' (commander keeps no null from a parser). */
function parsePort(text: string): number | 'none' {
  if (['none', 'off', 'false', '-'].includes(text)) return 'none';
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be 0-65535 (0 picks a free port) or "none", got ${JSON.stringify(text)}`);
  return port;
}

function parseSeconds(flag: string): (text: string) => number {
  return (text) => {
    const seconds = Number(text);
    if (!Number.isFinite(seconds) || seconds <= 0)
      throw new UsageError(`${flag} takes a number of seconds greater than 0, got ${JSON.stringify(text)}`);
    return Math.round(seconds * 1000);
  };
}

/** `--mode a,b --mode c`: every occurrence checked as it is parsed, collected in order. */
function collectModes(value: string, previous: string[] = []): string[] {
  parseModes(value, '--mode');
  return [...previous, value];
}

export const investigateCommand: CommandDefinition<InvestigateOptions> = {
  declare: (parse, done) =>
    new Command('investigate')
      .option(
        '--from <file.ndjson>',
        'handle a recorded stream (one JSON record per line: thoth help formats) instead of a broker, then exit; follow-ups it publishes are handled too',
      )
      .option(
        '--expect <expected.json>',
        "with --from: compare the run's workflows, follow-ups, dead letters and knowledge with this file; exit 1 with the differences",
      )
      .option('--allow-dead-letters', 'with --from: exit 0 even when messages were dead-lettered (they exit 1 otherwise)')
      .option(
        '--until-idle <seconds>',
        'exit after this many seconds without a message handled (messages failing transiently meanwhile stay uncommitted; exit 1); a start failing that long, and at least 30s, ends with its error',
        parseSeconds('--until-idle'),
      )
      .option(
        '--mode <modes>',
        'middletier, backend and/or metrics, comma-separated (default: THOTH_CONSUMER_MODE, else middletier,backend)',
        collectModes,
      )
      .option('--group <id>', `consumer group (default: KAFKA_CONSUMER_GROUP_ID, else ${DEFAULT_GROUP})`)
      .addOption(
        choiceOption(
          '--workflows <where>',
          'cluster: create workflows on Kubernetes; record: write them to the ledger only (default: record with --from or when no cluster is configured, else cluster)',
          ['cluster', 'record'] as const,
          (value) => `--workflows must be "cluster" or "record", got ${JSON.stringify(value)}`,
        ),
      )
      .option('--namespace <ns>', 'put every workflow in this namespace')
      .option(
        '--middletier-namespace <ns>',
        'namespace of solver, revsolver, security-indicators, ... (default: THOTH_MIDDLETIER_NAMESPACE)',
      )
      .option('--backend-namespace <ns>', 'namespace of adviser, provenance-checker, kebechet, ... (default: THOTH_BACKEND_NAMESPACE)')
      .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, in-cluster)')
      .option('--context <name>', 'kubeconfig context')
      .option(
        '--max-retries <n>',
        `attempts a message failing transiently gets before it is dead-lettered as RetriesExhausted (default: ${FROM_FILE_MAX_ATTEMPTS} with --from, else no limit: its partition waits)`,
        countOf('--max-retries'),
      )
      .option(
        '--batch-max <n>',
        `most records of a partition committed together, in one SQLite and one Kafka transaction (default ${DEFAULT_BATCH.maxRecords})`,
        countOf('--batch-max'),
      )
      .option(
        '--batch-ms <ms>',
        `longest a batch stays open before it is committed, in milliseconds (default ${DEFAULT_BATCH.maxMs}); nothing waits for more records`,
        countOf('--batch-ms'),
      )
      .option(
        '--max-in-flight <n>',
        `workflow creates in flight to the cluster at once, across the records of a batch, all answered before it commits (default ${DEFAULT_MAX_IN_FLIGHT})`,
        countOf('--max-in-flight'),
      )
      .option(
        '--pending-limit <n>',
        'pause partitions that schedule into a namespace with this many pending workflows (default: ARGO_PENDING_WORKFLOW_LIMIT)',
      )
      .option(
        '--port <port>',
        `operator endpoints /metrics, /_health, /halt/<topic>, /resume/<topic> (default ${DEFAULT_PORT}; 0 picks a free port; "none" turns them off)`,
        parsePort,
      )
      .option('--host <address>', 'address the endpoints listen on (default 127.0.0.1, 0.0.0.0 inside Kubernetes)')
      .option(
        '--operator-host <name>',
        'a host name the endpoints answer to besides IP addresses, localhost and --host (repeatable; e.g. the Service name)',
        collect,
      )
      .option('--operator-token-file <path>', 'POST /halt and /resume need "Authorization: Bearer <the token in this file>"')
      .option('--solvers <names>', 'solver environments (default: THOTH_SOLVERS)', collect)
      .option('--index-url <url>', 'register a package index (default: THOTH_INDEX_URLS; repeatable)', collect)
      // Each switch with its --no- form and no default: unset, the setting (THOTH_INVESTIGATOR_*) applies.
      .option('--schedule-solver', 'schedule solver workflows (default on; THOTH_INVESTIGATOR_SCHEDULE_SOLVER)')
      .option('--no-schedule-solver', 'do not schedule solver workflows')
      .option('--schedule-revsolver', 'schedule revsolver workflows (default on; THOTH_INVESTIGATOR_SCHEDULE_REVSOLVER)')
      .option('--no-schedule-revsolver', 'do not schedule revsolver workflows')
      .option('--schedule-security', 'schedule security-indicators workflows (default on; THOTH_INVESTIGATOR_SCHEDULE_SECURITY)')
      .option('--no-schedule-security', 'do not schedule security-indicators workflows')
      .option(
        '--schedule-kebechet-administrator',
        'schedule kebechet-administrator workflows (default off; THOTH_INVESTIGATOR_KEBECHET_ADMINISTRATOR)',
      )
      .option('--no-schedule-kebechet-administrator', 'do not schedule kebechet-administrator workflows')
      // `text` was the name of the table form before the one vocabulary of -o.
      .addOption(outputOption(FORMATS, DEFAULT_OUTPUT, { text: 'table' }))
      .addHelpText(
        'after',
        `
Delivery: an offset is committed only once its effects are durable. Transient failures
(broker, Kubernetes 5xx/429, SQLite busy) are retried with backoff while the partition
waits; a message that can never succeed goes to the dead-letter topic
thoth.investigator.dead-letter (prefixed like every topic) and to \`thoth query dead-letters\`.
Ctrl-C finishes the messages in flight, commits, leaves the group and exits 0.

Output: -o table shows a live dashboard on a terminal; -o ndjson one JSON line per event
(the default when piped). A bounded run (--from, --until-idle) ends with a summary of what
was learned and scheduled: text for table and wide (wide lists everything), the last JSON
line for ndjson, one document for json and yaml (then nothing is shown while it runs).

CI: a --from run that dead-lettered a message exits 1 (--allow-dead-letters when that is
expected). --expect EXPECTED.json compares the run with an expectation file, the format of
fixtures/scenarios/*/expected.json: {"workflows": [{"kind", "parameters"}], "published":
[{"type", "fields"}], "dead_letters": [{"topic", "error_class", "reason_contains"}], "packages":
[{"name", "version", "expect"}]}; each difference is one line on stderr, and the exit code is 1.

Examples:
  $ thoth investigate --from fixtures/streams/continuous-learning.ndjson --index-url https://index.example/simple
  $ thoth investigate --from recorded.ndjson -o table > summary.txt
  $ thoth investigate --from fixtures/scenarios/unresolved-package/input.ndjson --index-url https://index.example/simple --expect fixtures/scenarios/unresolved-package/expected.json
  $ thoth investigate --namespace thoth
  $ thoth investigate --mode middletier --until-idle 30 --workflows record
  $ KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 thoth investigate --port 0 --pending-limit 20`,
      )
      .action((o) => {
        const settings = parse.settings;
        const config = investigatorConfig(settings, {
          ...(o.solvers !== undefined ? { solvers: o.solvers } : {}),
          ...(o.mode !== undefined ? { mode: o.mode } : {}),
          ...(o.indexUrl !== undefined ? { indexUrls: o.indexUrl } : {}),
          ...(o.scheduleSolver !== undefined ? { scheduleSolver: o.scheduleSolver } : {}),
          ...(o.scheduleRevsolver !== undefined ? { scheduleRevsolver: o.scheduleRevsolver } : {}),
          ...(o.scheduleSecurity !== undefined ? { scheduleSecurity: o.scheduleSecurity } : {}),
          ...(o.scheduleKebechetAdministrator !== undefined ? { kebechetAdministrator: o.scheduleKebechetAdministrator } : {}),
        });
        const startFrom = settings.offsetReset;
        const pendingLimit = o.pendingLimit !== undefined ? parsePendingLimit(o.pendingLimit, '--pending-limit') : settings.pendingLimit;
        if (o.group !== undefined && !o.group.trim()) throw new UsageError('--group must name a consumer group, got an empty string');
        if (o.from !== undefined && o.untilIdle !== undefined)
          throw new UsageError('--until-idle applies to a broker; --from already stops at the end of its file');
        if (o.from === undefined && o.expect !== undefined)
          throw new UsageError(
            '--expect applies to a --from run: name the recorded stream to check (--from STREAM --expect EXPECTED.json)',
          );
        if (o.from === undefined && o.allowDeadLetters)
          throw new UsageError('--allow-dead-letters applies to a --from run; a broker run writes dead letters to its topic and goes on');
        done({
          config,
          from: o.from,
          untilIdleMs: o.untilIdle,
          group: o.group || settings.consumerGroup || DEFAULT_GROUP,
          startFrom,
          workflows: o.workflows,
          kube: { kubeconfig: o.kubeconfig, context: o.context },
          namespaces: { namespace: o.namespace, middletierNamespace: o.middletierNamespace, backendNamespace: o.backendNamespace },
          port: o.port === undefined ? DEFAULT_PORT : o.port === 'none' ? null : o.port,
          portGiven: o.port !== undefined,
          // In a cluster the metrics must be scrapable; on a workstation keep /halt to this machine.
          host: o.host ?? (settings.inKubernetes ? '0.0.0.0' : '127.0.0.1'),
          operatorHosts: o.operatorHost ?? [],
          operatorTokenFile: o.operatorTokenFile,
          pendingLimit,
          // A replay in CI must end: there a record that keeps failing transiently is dead-lettered after 8 tries.
          maxAttempts: o.maxRetries ?? (o.from !== undefined ? FROM_FILE_MAX_ATTEMPTS : undefined),
          batch: { maxRecords: o.batchMax ?? DEFAULT_BATCH.maxRecords, maxMs: o.batchMs ?? DEFAULT_BATCH.maxMs },
          maxInFlight: o.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
          maxBytes: settings.maxMessageBytes,
          format: chosenOutput(o.output, DEFAULT_OUTPUT, parse.isTTY),
          ...(o.expect !== undefined ? { expect: o.expect } : {}),
          allowDeadLetters: Boolean(o.allowDeadLetters),
        });
      }),

  async run(options, context) {
    const { io, log } = context;
    // A bad expectation file fails before the run, not after it.
    const expectation = options.expect !== undefined ? readExpectation(options.expect) : undefined;
    const store = await context.store({ create: true });
    store.seedIndexes(options.config.indexUrls);
    const kube = await workflowTarget(options, context);
    if (options.pendingLimit !== undefined && !kube)
      log.notice('the pending-workflow limit applies to a cluster; in record mode nothing is pending, so it is not used');
    const runner: RunnerOptions = {
      config: options.config,
      from: options.from,
      untilIdleMs: options.untilIdleMs,
      group: options.group,
      namespaceFor: namespaceResolver(options, kube, context),
      pendingLimit: options.pendingLimit,
      // A file replay needs no endpoints unless asked for.
      http:
        options.port === null || (options.from !== undefined && !options.portGiven)
          ? null
          : {
              host: options.host,
              port: options.port,
              required: options.portGiven,
              hostNames: options.operatorHosts,
              token: options.operatorTokenFile === undefined ? undefined : readOperatorToken(options.operatorTokenFile),
            },
      maxBytes: options.maxBytes,
      retry: { ...DEFAULT_RETRY, maxAttempts: options.maxAttempts },
      stopGraceMs: 8_000,
      pendingPollMs: 2_000,
      lagPollMs: 5_000,
      phasePollMs: 5_000,
      batch: options.batch,
      maxInFlight: options.maxInFlight,
    };
    const source = await investigatorSource(options, context);
    // The dashboard's q (and Ctrl-C, a key in raw mode) stops the run as a signal does: in-flight records finish and commit.
    const quit = new AbortController();
    let interrupted = false;
    const presenter = await eventPresenter(options.format, io, {
      color: context.settings.color,
      secrets: context.settings.secrets,
      onQuit: (interrupt) => {
        interrupted ||= interrupt;
        quit.abort(interrupt ? 'interrupted' : 'quit');
      },
    });
    const learned = learnedCollector();
    // What --expect compares: the run's own workflows, follow-ups, dead letters and metric updates.
    const checked: InvestigatorEvent[] = [];
    const sink: EventSink = (event) => {
      learned.add(event);
      if (expectation && CHECKED_EVENTS.has(event.event)) checked.push(event);
      presenter.sink(event);
    };
    let outcome;
    try {
      outcome = await runInvestigator(
        runner,
        {
          source,
          store,
          kube,
          clock: context.clock,
          log,
          signal: AbortSignal.any([context.signal, quit.signal]),
          ...(presenter.attach ? { onControls: presenter.attach } : {}),
        },
        sink,
      );
    } finally {
      await presenter.close();
    }
    const summary = buildSummary(outcome, store, learned.sentences(), learned.total());
    io.stderr.write(formatCounts(summary));
    if (outcome.reason !== 'signal')
      await write(io.stdout, await presentSummary(summary, options.format, io.stdout.isTTY ? io.stdout.columns : undefined));
    if (interrupted) return 'interrupted';
    if (outcome.reason === 'idle' && outcome.failing.length > 0) {
      log.warn(failingNotice(outcome.failing));
      return 'failure';
    }
    if (outcome.reason === 'signal' || options.from === undefined) return;
    if (expectation) {
      const differences = scenarioMismatches(
        expectation,
        runOutcome(checked, store, { startedAt: outcome.startedAt, solvers: options.config.solvers }),
      );
      io.stderr.write(formatExpectation(options.expect!, differences));
      return differences.length === 0 ? 'ok' : 'failure';
    }
    const dead = summary.counts.deadLetters;
    if (dead > 0 && !options.allowDeadLetters) {
      log.warn(
        `${dead} message${dead === 1 ? ' was' : 's were'} dead-lettered (thoth dead-letters list); --allow-dead-letters or --expect with them listed when that is expected`,
      );
      return 'failure';
    }
  },
};

const CHECKED_EVENTS = new Set<string>(['scheduled', 'known', 'exists', 'recorded-workflow', 'published', 'dead-letter', 'metric']);

function readExpectation(path: string) {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UserError(`--expect ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return parseExpectation(text, path);
}

/** The records: a recorded file (`--from`, no broker at all) or the broker's topics of the chosen modes. */
async function investigatorSource(options: InvestigateOptions, context: CommandContext): Promise<InvestigatorSource> {
  const config = options.config;
  const topics = knowledgeTopics(config);
  if (options.from !== undefined) {
    return fileSource({
      path: options.from,
      stdin: context.io.stdin,
      deploymentName: config.deploymentName,
      knowledgeTopic: topics.knowledge,
      now: context.clock.now,
      onBadLine: context.log.warn,
    });
  }
  return brokerSource({
    broker: await context.broker(),
    knowledge: await context.knowledge(),
    topics: subscribedTopics(config),
    knowledgeTopic: topics.knowledge,
    decisionsTopic: topics.decisions,
    group: options.group,
    start: { from: options.startFrom },
    deploymentName: config.deploymentName,
    partitionsConcurrently: 4,
    maxBytes: options.maxBytes,
  });
}

/** The cluster, or null for record mode; record mode is announced, never silent (SPEC §6). */
async function workflowTarget(options: InvestigateOptions, context: CommandContext): Promise<KubeClient | null> {
  const { log } = context;
  if (options.workflows === 'record') {
    log.notice('workflows: record mode (--workflows record): workflows are written to the ledger, nothing is sent to a cluster');
    return null;
  }
  // Replaying a file (a fixture, the demo) must not reach whatever cluster the kubeconfig points at unless asked to.
  if (options.workflows === undefined && options.from !== undefined) {
    log.notice(
      'workflows: record mode, the default with --from: workflows are written to the ledger only (--workflows cluster to create them)',
    );
    return null;
  }
  try {
    const kube = await context.kube(options.kube);
    log.notice(`workflows: creating them on ${kube.description}`);
    return kube;
  } catch (error) {
    if (options.workflows === 'cluster' || !(error instanceof UserError)) throw error;
    log.notice(`workflows: ${error.message}; recording them in the ledger instead (--workflows record)`);
    return null;
  }
}

function namespaceResolver(
  options: InvestigateOptions,
  kube: KubeClient | null,
  context: Pick<CommandContext, 'settings' | 'log'>,
): (kind: WorkflowKind) => string {
  const n = options.namespaces;
  const fromSettings = context.settings.namespaces;
  const configured = n.namespace || n.middletierNamespace || n.backendNamespace || fromSettings.middletier || fromSettings.backend;
  if (!kube && !configured) {
    context.log.notice(`workflows: no namespace configured; recording them under "${RECORD_MODE_NAMESPACE}" (--namespace NS to change)`);
    return () => RECORD_MODE_NAMESPACE;
  }
  // Flags and variables win; otherwise the kubeconfig context's namespace, as kubectl and argo do.
  const fallback = kube?.defaultNamespace;
  // Fail at start-up, not on the first message, when a class has no namespace.
  for (const kind of ['solver', 'adviser'] as const) namespaceFor(kind, n, fromSettings, fallback);
  if (fallback && (!configuredNamespace('solver', n, fromSettings) || !configuredNamespace('adviser', n, fromSettings))) {
    context.log.notice(
      `workflows: namespace ${fallback.namespace} where none is configured (from ${fallback.from}; --namespace NS to change)`,
    );
  }
  return (kind) => namespaceFor(kind, n, fromSettings, fallback);
}

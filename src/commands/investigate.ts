/**
 * `thoth investigate`: run the investigator in the foreground (SPEC §3, §6).
 * Declares the flags, turns them into typed options, runs the loop
 * (src/investigate/runner.ts) and presents it: the ink dashboard on a
 * terminal, one JSON line per event otherwise, and a summary at the end of
 * a bounded run (`--from`, `--until-idle`).
 */
import type { Command } from 'commander';
import { deploymentName, type Deps, type KubeOptions } from '../cli/deps.js';
import { EXIT, UsageError, UserError } from '../cli/errors.js';
import { write } from '../cli/io.js';
import { parsePendingLimit } from '../investigate/back-pressure.js';
import { investigatorConfig, type InvestigatorConfig } from '../investigate/config.js';
import { jsonLinesSink, type EventSink, type InvestigatorEvent } from '../investigate/events.js';
import { maxMessageBytes } from '../investigate/record-decoder.js';
import { DEFAULT_RETRY } from '../investigate/retry.js';
import { runInvestigator, type RunnerOptions } from '../investigate/runner.js';
import { buildSummary, formatCounts, formatSummaryText } from '../investigate/summary.js';
import { collect, outputFormat, parseCount } from '../cli/output.js';
import { configuredNamespace, namespaceFor, type NamespaceOptions } from '../workflows/namespaces.js';
import type { KubeClient, WorkflowKind } from '../workflows/types.js';
import type { CommandModule, Invocation } from './types.js';

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
  pendingLimit?: number;
  maxBytes: number;
  /** text: dashboard (on a terminal) and a summary for people; ndjson: one JSON line per event, the summary last. */
  format: 'text' | 'ndjson';
  /** --max-retries: undefined retries a transient failure until it passes. */
  maxAttempts?: number;
}

function parsePort(value: unknown): number | null {
  if (value === undefined) return DEFAULT_PORT;
  const text = String(value);
  if (['none', 'off', 'false', '-'].includes(text)) return null;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0-65535 (0 picks a free port) or "none", got ${JSON.stringify(text)}`);
  return port;
}

function parseSeconds(flag: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`${flag} takes a number of seconds greater than 0, got ${JSON.stringify(value)}`);
  return Math.round(seconds * 1000);
}

export function investigateOptions(invocation: Invocation, deps: Pick<Deps, 'globals' | 'env' | 'io'>): InvestigateOptions {
  const o = invocation.options;
  const env = deps.env;
  const workflows = o.workflows as string | undefined;
  if (workflows !== undefined && workflows !== 'cluster' && workflows !== 'record') {
    throw new UsageError(`--workflows must be "cluster" or "record", got ${JSON.stringify(workflows)}`);
  }
  const deployment = deploymentName(deps.globals, env);
  const config = investigatorConfig(env, {
    ...(o.solvers !== undefined ? { solvers: o.solvers as string[] } : {}),
    ...(o.mode !== undefined ? { mode: o.mode as string[] } : {}),
    ...(o.indexUrl !== undefined ? { indexUrls: o.indexUrl as string[] } : {}),
    ...(o.scheduleSolver !== undefined ? { scheduleSolver: Boolean(o.scheduleSolver) } : {}),
    ...(o.scheduleRevsolver !== undefined ? { scheduleRevsolver: Boolean(o.scheduleRevsolver) } : {}),
    ...(o.scheduleSecurity !== undefined ? { scheduleSecurity: Boolean(o.scheduleSecurity) } : {}),
    ...(o.scheduleKebechetAdministrator !== undefined ? { kebechetAdministrator: Boolean(o.scheduleKebechetAdministrator) } : {}),
    ...(deployment ? { deploymentName: deployment } : {}),
  });
  const reset = (env.KAFKA_CONSUMER_AUTO_OFFSET_RESET || 'earliest').toLowerCase();
  if (reset !== 'earliest' && reset !== 'latest') throw new UsageError(`KAFKA_CONSUMER_AUTO_OFFSET_RESET must be "earliest" or "latest", got ${JSON.stringify(reset)}`);
  const pendingLimit =
    o.pendingLimit !== undefined ? parsePendingLimit(String(o.pendingLimit), '--pending-limit') : parsePendingLimit(env.ARGO_PENDING_WORKFLOW_LIMIT, 'ARGO_PENDING_WORKFLOW_LIMIT');
  if (o.group !== undefined && !String(o.group).trim()) throw new UsageError('--group must name a consumer group, got an empty string');
  if (o.from !== undefined && o.untilIdle !== undefined) throw new UsageError('--until-idle applies to a broker; --from already stops at the end of its file');
  return {
    config,
    from: o.from as string | undefined,
    untilIdleMs: parseSeconds('--until-idle', o.untilIdle),
    group: (o.group as string | undefined) || env.KAFKA_CONSUMER_GROUP_ID || DEFAULT_GROUP,
    startFrom: reset,
    workflows: workflows as InvestigateOptions['workflows'],
    kube: { kubeconfig: o.kubeconfig as string | undefined, context: o.context as string | undefined },
    namespaces: {
      namespace: o.namespace as string | undefined,
      middletierNamespace: o.middletierNamespace as string | undefined,
      backendNamespace: o.backendNamespace as string | undefined,
    },
    port: parsePort(o.port),
    portGiven: o.port !== undefined,
    // In a cluster the metrics must be scrapable; on a workstation keep /halt to this machine.
    host: (o.host as string | undefined) ?? (env.KUBERNETES_SERVICE_HOST ? '0.0.0.0' : '127.0.0.1'),
    pendingLimit,
    // A replay in CI must end: there a record that keeps failing transiently is dead-lettered after 8 tries.
    maxAttempts: o.maxRetries !== undefined ? parseCount('--max-retries', o.maxRetries) : o.from !== undefined ? FROM_FILE_MAX_ATTEMPTS : undefined,
    maxBytes: maxMessageBytes(env),
    format: outputFormat(o.output, ['text', 'ndjson'] as const, { tty: 'text', piped: 'ndjson' }, deps.io.stdout.isTTY),
  };
}

/** The cluster, or null for record mode; record mode is announced, never silent (SPEC §6). */
async function workflowTarget(options: InvestigateOptions, deps: Deps): Promise<KubeClient | null> {
  if (options.workflows === 'record') {
    deps.log.notice('workflows: record mode (--workflows record): workflows are written to the ledger, nothing is sent to a cluster');
    return null;
  }
  // Replaying a file (a fixture, the demo) must not reach whatever cluster the kubeconfig points at unless asked to.
  if (options.workflows === undefined && options.from !== undefined) {
    deps.log.notice('workflows: record mode, the default with --from: workflows are written to the ledger only (--workflows cluster to create them)');
    return null;
  }
  try {
    const kube = await deps.kube(options.kube);
    deps.log.notice(`workflows: creating them on ${kube.description}`);
    return kube;
  } catch (error) {
    if (options.workflows === 'cluster' || !(error instanceof UserError)) throw error;
    deps.log.notice(`workflows: ${error.message}; recording them in the ledger instead (--workflows record)`);
    return null;
  }
}

function namespaceResolver(options: InvestigateOptions, kube: KubeClient | null, deps: Deps): (kind: WorkflowKind) => string {
  const n = options.namespaces;
  const configured = n.namespace || n.middletierNamespace || n.backendNamespace || deps.env.THOTH_MIDDLETIER_NAMESPACE || deps.env.THOTH_BACKEND_NAMESPACE;
  if (!kube && !configured) {
    deps.log.notice(`workflows: no namespace configured; recording them under "${RECORD_MODE_NAMESPACE}" (--namespace NS to change)`);
    return () => RECORD_MODE_NAMESPACE;
  }
  // Flags and variables win; otherwise the kubeconfig context's namespace, as kubectl and argo do.
  const fallback = kube?.defaultNamespace;
  // Fail at start-up, not on the first message, when a class has no namespace.
  for (const kind of ['solver', 'adviser'] as const) namespaceFor(kind, n, deps.env, fallback);
  if (fallback && (!configuredNamespace('solver', n, deps.env) || !configuredNamespace('adviser', n, deps.env))) {
    deps.log.notice(`workflows: namespace ${fallback.namespace} where none is configured (from ${fallback.from}; --namespace NS to change)`);
  }
  return (kind) => namespaceFor(kind, n, deps.env, fallback);
}

/** Values of secret-looking variables (KAFKA_SASL_PASSWORD, tokens), which the dashboard must never show. */
function secretValues(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([name, value]) => /password|token|secret/i.test(name) && value)
    .map(([, value]) => value!);
}

async function eventPresenter(format: InvestigateOptions['format'], deps: Deps): Promise<{ sink: EventSink; close(): Promise<void> }> {
  if (format === 'ndjson') return { sink: jsonLinesSink(deps.io.stdout), close: async () => undefined };
  if (deps.io.stdout.isTTY) {
    const { renderDashboard } = await import('../ui/render-dashboard.js');
    return renderDashboard(deps.io.stdout, { color: deps.globals.color, stderr: deps.io.stderr, secrets: secretValues(deps.env) });
  }
  // Text to a pipe: no live view, only the summary at the end.
  return { sink: () => undefined, close: async () => undefined };
}

export async function runInvestigate(options: InvestigateOptions, deps: Deps): Promise<number> {
  const store = await deps.store({ create: true });
  store.seedIndexes(options.config.indexUrls);
  const kube = await workflowTarget(options, deps);
  if (options.pendingLimit !== undefined && !kube) deps.log.notice('the pending-workflow limit applies to a cluster; in record mode nothing is pending, so it is not used');
  const runner: RunnerOptions = {
    config: options.config,
    from: options.from,
    untilIdleMs: options.untilIdleMs,
    group: options.group,
    startFrom: options.startFrom,
    partitionsConcurrently: 4,
    kube,
    namespaceFor: namespaceResolver(options, kube, deps),
    pendingLimit: options.pendingLimit,
    // A file replay needs no endpoints unless asked for.
    http: options.port === null || (options.from !== undefined && !options.portGiven) ? null : { host: options.host, port: options.port, required: options.portGiven },
    maxBytes: options.maxBytes,
    retry: { ...DEFAULT_RETRY, maxAttempts: options.maxAttempts },
    stopGraceMs: 8_000,
    pendingPollMs: 2_000,
    lagPollMs: 5_000,
    phasePollMs: 5_000,
  };
  const presenter = await eventPresenter(options.format, deps);
  const learned: InvestigatorEvent[] = [];
  const sink: EventSink = (event) => {
    if (event.event === 'recorded' && learned.length < 10_000) learned.push(event);
    presenter.sink(event);
  };
  let outcome;
  try {
    outcome = await runInvestigator(runner, { ...deps, store }, sink);
  } finally {
    await presenter.close();
  }
  const summary = buildSummary(outcome, store, learned);
  deps.io.stderr.write(formatCounts(summary));
  if (outcome.reason !== 'signal') {
    await write(deps.io.stdout, options.format === 'text' ? formatSummaryText(summary, { width: deps.io.stdout.isTTY ? deps.io.stdout.columns : undefined }) : `${JSON.stringify(summary)}\n`);
  }
  return EXIT.ok;
}

export const investigateCommand: CommandModule = {
  configure(command: Command) {
    command
      .option('--from <file.ndjson>', 'handle a recorded stream (SPEC §7) instead of a broker, then exit; follow-ups it publishes are handled too')
      .option('--until-idle <seconds>', 'exit after this many seconds without a message')
      .option('--mode <modes>', 'middletier, backend and/or metrics, comma-separated (default: THOTH_CONSUMER_MODE, else middletier,backend)', collect)
      .option('--group <id>', `consumer group (default: KAFKA_CONSUMER_GROUP_ID, else ${DEFAULT_GROUP})`)
      .option('--workflows <where>', 'cluster: create workflows on Kubernetes; record: write them to the ledger only (default: record with --from or when no cluster is configured, else cluster)')
      .option('--namespace <ns>', 'put every workflow in this namespace')
      .option('--middletier-namespace <ns>', 'namespace of solver, revsolver, security-indicators, ... (default: THOTH_MIDDLETIER_NAMESPACE)')
      .option('--backend-namespace <ns>', 'namespace of adviser, provenance-checker, kebechet, ... (default: THOTH_BACKEND_NAMESPACE)')
      .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, in-cluster)')
      .option('--context <name>', 'kubeconfig context')
      .option('--max-retries <n>', `attempts a message failing transiently gets before it is dead-lettered as RetriesExhausted (default: ${FROM_FILE_MAX_ATTEMPTS} with --from, else no limit: its partition waits)`)
      .option('--pending-limit <n>', 'pause partitions that schedule into a namespace with this many pending workflows (default: ARGO_PENDING_WORKFLOW_LIMIT)')
      .option('--port <port>', `operator endpoints /metrics, /_health, /halt/<topic>, /resume/<topic> (default ${DEFAULT_PORT}; 0 picks a free port; "none" turns them off)`)
      .option('--host <address>', 'address the endpoints listen on (default 127.0.0.1, 0.0.0.0 inside Kubernetes)')
      .option('--solvers <names>', 'solver environments (default: THOTH_SOLVERS)', collect)
      .option('--index-url <url>', 'register a package index (default: THOTH_INDEX_URLS; repeatable)', collect)
      .option('--schedule-solver', 'schedule solver workflows (default on; THOTH_INVESTIGATOR_SCHEDULE_SOLVER)')
      .option('--no-schedule-solver', 'do not schedule solver workflows')
      .option('--schedule-revsolver', 'schedule revsolver workflows (default on; THOTH_INVESTIGATOR_SCHEDULE_REVSOLVER)')
      .option('--no-schedule-revsolver', 'do not schedule revsolver workflows')
      .option('--schedule-security', 'schedule security-indicators workflows (default on; THOTH_INVESTIGATOR_SCHEDULE_SECURITY)')
      .option('--no-schedule-security', 'do not schedule security-indicators workflows')
      .option('--schedule-kebechet-administrator', 'schedule kebechet-administrator workflows (default off; THOTH_INVESTIGATOR_KEBECHET_ADMINISTRATOR)')
      .option('--no-schedule-kebechet-administrator', 'do not schedule kebechet-administrator workflows')
      .option('-o, --output <format>', 'text: live dashboard and a summary for people; ndjson: one JSON line per event, the summary last (default: text on a terminal, ndjson when piped)')
      .addHelpText(
        'after',
        `
Delivery: an offset is committed only once its effects are durable. Transient failures
(broker, Kubernetes 5xx/429, SQLite busy) are retried with backoff while the partition
waits; a message that can never succeed goes to the dead-letter topic
thoth.investigator.dead-letter (prefixed like every topic) and to \`thoth query dead-letters\`.
Ctrl-C finishes the messages in flight, commits, leaves the group and exits 0.

Output: a live dashboard on a terminal, one JSON line per event when piped (-o to choose).
A bounded run (--from, --until-idle) ends with a summary of what was learned and scheduled.

Examples:
  $ thoth investigate --from fixtures/streams/continuous-learning.ndjson
  $ thoth investigate --from recorded.ndjson -o text > summary.txt
  $ thoth investigate --namespace thoth
  $ thoth investigate --mode middletier --until-idle 30 --workflows record
  $ KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 thoth investigate --port 0 --pending-limit 20`,
      );
  },
  async run(invocation, deps) {
    return runInvestigate(investigateOptions(invocation, deps), deps);
  },
};

/**
 * `thoth submit <kind> [package==version]`: build the Argo Workflow for a
 * kind, schedule it through the same idempotent path the investigator uses
 * (deterministic name, ledger, 409 = already scheduled), and print what
 * happened; --wait / --watch follow it to the end like `argo submit --wait`.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import type { Deps } from '../cli/deps.js';
import { UsageError, UserError } from '../cli/errors.js';
import { formatDuration, parseDuration } from '../cli/duration.js';
import { write } from '../cli/io.js';
import { createExecutor } from '../investigate/executor.js';
import { schedule } from '../investigate/effects.js';
import type { KnowledgeStore } from '../store/types.js';
import { buildWorkflow } from '../workflows/build.js';
import { requestFromCli, withOverrides } from '../workflows/cli-request.js';
import { requestFromWorkflowFile } from '../workflows/workflow-file.js';
import { checkLedger, failedPhase } from '../workflows/ledger-check.js';
import { configuredNamespace, namespaceFor } from '../workflows/namespaces.js';
import { scheduleWorkflow, statusOf, type LedgerPort } from '../workflows/schedule.js';
import type { KubeClient, ScheduleResult, WorkflowRequest } from '../workflows/types.js';
import { describePhase, progressRenderer, waitForWorkflow } from '../workflows/wait.js';
import type { CommandModule, Invocation } from './types.js';

const FORMATS = ['name', 'yaml', 'json'] as const;
type Format = (typeof FORMATS)[number];

export interface SubmitOptions {
  request: WorkflowRequest;
  /** From --namespace, the file or the environment; undefined: the kubeconfig context's (see resolveNamespace). */
  namespace?: string;
  dryRun?: 'client' | 'server';
  output: Format;
  wait: boolean;
  watch: boolean;
  /** --timeout: how long --wait/--watch wait before giving up (ms); undefined: until the workflow ends. */
  timeoutMs?: number;
  kubeconfig?: string;
  context?: string;
  /** Fields of a -f file that thoth replaces with its own, warned about on stderr. */
  ignored: string[];
}

/** A -f file's text, read before the options are parsed (`-f -` is stdin). */
export interface FileText {
  text: string;
  origin: string;
}

async function readFileText(path: string, stdin: NodeJS.ReadableStream): Promise<FileText> {
  if (path !== '-') {
    try {
      return { text: readFileSync(path, 'utf8'), origin: path };
    } catch (error) {
      throw new UserError(`cannot read workflow file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return { text: Buffer.concat(chunks).toString('utf8'), origin: '<stdin>' };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function submitOptions(invocation: Invocation, env: NodeJS.ProcessEnv, file?: FileText): SubmitOptions {
  const [kind, packageSpec] = invocation.operands as [string | undefined, string | undefined];
  const o = invocation.options;
  const output = (o.output as string | undefined) ?? 'name';
  if (!(FORMATS as readonly string[]).includes(output)) throw new UsageError(`-o must be one of ${FORMATS.join(', ')} (got ${JSON.stringify(output)})`);
  const dryRun = o.dryRun as string | undefined;
  if (dryRun !== undefined && dryRun !== 'client' && dryRun !== 'server') throw new UsageError(`--dry-run must be client or server (got ${JSON.stringify(dryRun)})`);
  if (o.wait && o.watch) throw new UsageError('--wait and --watch cannot be used together');
  if (dryRun && (o.wait || o.watch)) throw new UsageError('a dry run creates nothing to wait for: drop --wait/--watch');
  const timeoutMs = o.timeout === undefined ? undefined : parseDuration(o.timeout as string);
  if (o.timeout !== undefined) {
    if (timeoutMs === undefined || timeoutMs <= 0) throw new UsageError(`--timeout expects a duration such as 90s, 5m or 1h30m (got ${JSON.stringify(o.timeout)})`);
    if (!o.wait && !o.watch) throw new UsageError('--timeout limits --wait or --watch: add one of them');
  }

  let request: WorkflowRequest;
  let fileNamespace: string | undefined;
  let ignored: string[] = [];
  if (o.file !== undefined) {
    if (kind !== undefined) throw new UsageError('give either a kind or -f FILE, not both');
    if (o.solver !== undefined || o.indexUrl !== undefined) throw new UsageError('--solver and --index-url fill a package operand; with -f FILE give parameters with -p');
    const fromFile = requestFromWorkflowFile(file!.text, file!.origin, Boolean(o.force));
    ({ namespace: fileNamespace, ignored } = fromFile);
    request = withOverrides(fromFile.request, { parameters: (o.parameter as string[] | undefined) ?? [], secrets: (o.secret as string[] | undefined) ?? [] });
  } else {
    if (kind === undefined) throw new UsageError('missing workflow kind (or -f FILE)', 'e.g. thoth submit solver requests==2.25.1');
    request = requestFromCli(
      {
        kind,
        packageSpec,
        parameters: (o.parameter as string[] | undefined) ?? [],
        secrets: (o.secret as string[] | undefined) ?? [],
        solver: o.solver as string | undefined,
        indexUrl: o.indexUrl as string | undefined,
        force: Boolean(o.force),
      },
      env,
    );
  }
  return {
    request,
    namespace: configuredNamespace(request.kind, { namespace: (o.namespace as string | undefined) ?? fileNamespace }, env),
    dryRun: dryRun as SubmitOptions['dryRun'],
    output: output as Format,
    wait: Boolean(o.wait),
    watch: Boolean(o.watch),
    timeoutMs,
    kubeconfig: o.kubeconfig as string | undefined,
    context: o.context as string | undefined,
    ignored,
  };
}

const VERB: Record<ScheduleResult['outcome'], string> = { created: 'created', exists: 'unchanged', known: 'unchanged', recorded: 'recorded' };

export function presentResult(result: Pick<ScheduleResult, 'name' | 'outcome' | 'workflow'>, format: Format, dryRun?: 'client' | 'server'): string {
  if (format === 'json') return `${JSON.stringify(result.workflow, null, 2)}\n`;
  // YAML 1.1 quoting: kubectl's reader would turn a parameter `yes` or `on` into a boolean.
  if (format === 'yaml') return toYaml(result.workflow, { version: '1.1' });
  const note = dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
  return `workflow.argoproj.io/${result.name} ${VERB[result.outcome]}${note}\n`;
}

/** No ledger is read or written in a dry run. */
const NO_LEDGER: LedgerPort = {
  findWorkflowByKey: () => undefined,
  recordWorkflow: () => {},
  setWorkflowStatus: () => {},
};

async function follow(result: ScheduleResult, options: TargetedOptions, deps: Deps, kube: KubeClient, ledger: LedgerPort): Promise<number> {
  const render = options.watch ? progressRenderer(deps.io.stderr) : undefined;
  const outcome = await waitForWorkflow(kube, result.namespace, result.name, { signal: deps.signal, onChange: render, timeoutMs: options.timeoutMs });
  if (outcome.timedOut) {
    ledger.setWorkflowStatus(result.name, statusOf(outcome.workflow), new Date(deps.now()).toISOString());
    throw new UserError(
      `workflow ${result.name} in namespace ${result.namespace} did not finish within ${formatDuration(options.timeoutMs!)}; last seen ${describePhase(outcome.workflow)}`,
      outcome.workflow.status?.phase ? undefined : 'no phase at all: is the Argo workflow controller running in this cluster? (kubectl get pods -A -l app=workflow-controller)',
    );
  }
  ledger.setWorkflowStatus(result.name, statusOf(outcome.workflow), new Date(deps.now()).toISOString());
  if (options.output === 'name') await write(deps.io.stdout, `workflow.argoproj.io/${result.name} ${outcome.phase}\n`);
  else await write(deps.io.stdout, presentResult({ ...result, workflow: outcome.workflow }, options.output));
  if (!outcome.failure) return 0;
  const where = outcome.failure.node ? `node ${outcome.failure.node}: ` : '';
  throw new UserError(`workflow ${result.name} in namespace ${result.namespace} ended ${outcome.phase}: ${where}${outcome.failure.message}`);
}

/**
 * Schedules through the investigator's effect executor, so a workflow
 * submitted by hand and one the investigator schedules share naming, ledger
 * and idempotency (STYLE §7).
 */
async function scheduleThroughExecutor(options: TargetedOptions, deps: Deps, kube: KubeClient, store: KnowledgeStore): Promise<ScheduleResult> {
  const executor = createExecutor({
    store,
    kube,
    namespaceFor: () => options.namespace,
    publish: async () => {
      throw new Error('thoth submit publishes no follow-up messages');
    },
    now: deps.now,
    signal: deps.signal,
  });
  const events = await executor.execute([schedule(options.request, 'thoth submit')], null);
  const event = events.find((e) => e.kind === 'scheduled' || e.kind === 'exists' || e.kind === 'known')!;
  const name = event.detail.name as string;
  const outcome: ScheduleResult['outcome'] = event.kind === 'scheduled' ? 'created' : (event.kind as 'exists' | 'known');
  // The object as the cluster holds it (for -o json|yaml, and its phase when it existed); one that is gone (TTL) is shown as built.
  const onCluster = options.output === 'name' && outcome === 'created' ? undefined : await kube.getWorkflow(options.namespace, name, deps.signal);
  const workflow = onCluster ?? buildWorkflow({ ...options.request, force: false }, { namespace: options.namespace });
  return { name, kind: options.request.kind, namespace: options.namespace, outcome, workflow: { ...workflow, metadata: { ...workflow.metadata, name } } };
}

/** SubmitOptions once the namespace is known. */
type TargetedOptions = SubmitOptions & { namespace: string };

/** A client-side dry run with no namespace anywhere still shows a workflow, in the design card's namespace. */
const DRY_RUN_NAMESPACE = 'thoth';

/** A client-side dry run contacts nothing, but reads the kubeconfig (when there is one) for its namespace. */
async function dryRunNamespace(options: SubmitOptions, deps: Deps): Promise<string> {
  if (options.namespace) return options.namespace;
  const fallback = await deps.kube({ kubeconfig: options.kubeconfig, context: options.context, retryNotices: true }).then(
    (kube) => kube.defaultNamespace,
    (error: unknown) => {
      if (error instanceof UserError) return undefined;
      throw error;
    },
  );
  if (fallback) {
    const namespace = namespaceFor(options.request.kind, {}, deps.env, fallback);
    deps.log.notice(`namespace ${namespace} (from ${fallback.from}; --namespace NS to change)`);
    return namespace;
  }
  deps.log.notice(`namespace ${DRY_RUN_NAMESPACE} (no --namespace, namespace variable or kubeconfig context namespace; --namespace NS to change)`);
  return DRY_RUN_NAMESPACE;
}

export async function runSubmit(submitOptions: SubmitOptions, deps: Deps): Promise<number> {
  for (const field of submitOptions.ignored) deps.log.warn(`the file's ${field} is not used: thoth names, labels and annotates its workflows itself`);
  if (submitOptions.dryRun === 'client') {
    // Nothing leaves the machine: no cluster, no ledger.
    const namespace = await dryRunNamespace(submitOptions, deps);
    const workflow = buildWorkflow(submitOptions.request, { namespace, now: deps.now });
    await write(deps.io.stdout, presentResult({ name: workflow.metadata.name, outcome: 'created', workflow }, submitOptions.output, 'client'));
    return 0;
  }
  const kube = await deps.kube({ kubeconfig: submitOptions.kubeconfig, context: submitOptions.context, retryNotices: true });
  // Flags and variables win; otherwise the context's namespace, as kubectl and argo do.
  const options: TargetedOptions = {
    ...submitOptions,
    namespace: namespaceFor(submitOptions.request.kind, { namespace: submitOptions.namespace }, deps.env, kube.defaultNamespace),
  };
  const from = submitOptions.namespace || !kube.defaultNamespace ? '' : ` (from ${kube.defaultNamespace.from}; --namespace NS to change)`;
  deps.log.notice(`cluster: ${kube.description}, namespace ${options.namespace}${from}`);
  if (options.dryRun === 'server') {
    const result = await scheduleWorkflow(options.request, { store: NO_LEDGER, kube, namespace: options.namespace, now: deps.now, dryRun: 'server', signal: deps.signal });
    await write(deps.io.stdout, presentResult(result, options.output, 'server'));
    return 0;
  }
  const store = await deps.store();
  const check = await checkLedger(options.request, { store, kube, namespace: options.namespace, now: deps.now, signal: deps.signal });
  let result: ScheduleResult;
  if (check.kind === 'gone') {
    deps.log.notice(`the ledger had ${check.entry.name} as ${check.entry.status}, but the cluster no longer has it: creating it again`);
    // The stale entry is hidden from the shared path, so it creates the workflow (a 409 with the same key still means one).
    const ledger: LedgerPort = { findWorkflowByKey: () => undefined, recordWorkflow: (e) => store.recordWorkflow(e), setWorkflowStatus: (n, st, at) => store.setWorkflowStatus(n, st, at) };
    result = await scheduleWorkflow(options.request, { store: ledger, kube, namespace: options.namespace, now: deps.now, signal: deps.signal });
  } else {
    result = await scheduleThroughExecutor(options, deps, kube, store);
  }
  const failed = result.outcome === 'created' ? undefined : failedPhase(result.workflow);
  if (failed) deps.log.notice(`workflow ${result.name} already exists in namespace ${result.namespace} and ended ${failed}; --force submits a new run`);
  else if (result.outcome === 'known') deps.log.notice(`the ledger already has ${result.name} for this request; --force submits a new run`);
  if (options.wait || options.watch) {
    if (options.output === 'name') await write(deps.io.stdout, presentResult(result, 'name'));
    return follow(result, options, deps, kube, store);
  }
  await write(deps.io.stdout, presentResult(result, options.output));
  return 0;
}

export const submitCommand: CommandModule = {
  configure(command: Command) {
    command
      .argument('[kind]', 'workflow kind: solver, revsolver, security-indicators, adviser, provenance-checker, package-extract, build-analysis, graph-sync, kebechet, kebechet-run-url, kebechet-administrator, repo-init')
      .argument('[package]', 'name==version for package kinds (solver, revsolver, security-indicators, kebechet-administrator)')
      .option('-p, --parameter <KEY=VALUE>', 'workflow parameter by its upstream name (repeatable; overrides what the package operand filled)', collect)
      .option('--namespace <ns>', "namespace (default: THOTH_MIDDLETIER_NAMESPACE or THOTH_BACKEND_NAMESPACE by kind, else the kubeconfig context's)")
      .option('--solver <name>', 'solver for `submit solver` (default: first of THOTH_SOLVERS, else solver-rhel-8-py38)')
      .option('--index-url <url>', 'package index (default: first of THOTH_INDEX_URLS, else PIP_INDEX_URL, else pip.conf)')
      .option('--secret <ENV=SECRET:KEY>', 'credentials from a Kubernetes Secret, e.g. THOTH_REGISTRY_CREDENTIALS=registry-creds:auth (repeatable)', collect)
      .option('--force', 'a deliberate re-run: a new workflow with a unique name even if this request ran before')
      .option('--dry-run <mode>', 'client: print the workflow, contact nothing; server: let the API server validate it, create nothing')
      .option('-o, --output <format>', 'name | yaml | json (default: name)')
      .option('--wait', 'wait for the workflow to finish; exit 1 when it fails or errors')
      .option('--watch', 'like --wait, showing phase and node progress on stderr')
      .option('--timeout <duration>', 'with --wait/--watch: give up after this long (90s, 5m, 1h30m), exit 1 with the phase last seen')
      .option('-f, --file <path>', 'submit a Workflow file (`-` for stdin) that references one of thoth\'s WorkflowTemplates; -p overrides or adds its parameters')
      .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, or the in-cluster service account)')
      .option('--context <name>', 'kubeconfig context (default: its current-context)')
      .addHelpText(
        'after',
        `
The workflow's name is derived from its kind and parameters, so submitting the same request
twice creates one workflow (the second prints "unchanged"). Templates live in deploy/argo/.

Examples:
  $ thoth submit solver requests==2.25.1 --namespace thoth --dry-run client -o yaml
  $ thoth submit solver requests==2.25.1 --solver solver-fedora-35-py310 --index-url https://index.example/simple
  $ thoth submit security-indicators flask==2.0.1 --namespace thoth --wait --timeout 30m
  $ thoth submit adviser -p THOTH_ADVISER_RECOMMENDATION_TYPE=stable --namespace thoth-backend
  $ thoth submit -f workflow.yaml --dry-run server`,
      );
  },
  async run(invocation, deps) {
    const path = invocation.options.file as string | undefined;
    const file = path === undefined ? undefined : await readFileText(path, deps.io.stdin);
    return runSubmit(submitOptions(invocation, deps.env, file), deps);
  },
};

/**
 * `thoth submit <kind> [package==version]`: build the Argo Workflow for a
 * kind, schedule it through the same idempotent path the investigator uses
 * (deterministic name, ledger, 409 = already scheduled), and print what
 * happened; --wait / --watch follow it to the end like `argo submit --wait`.
 */
import { readFileSync } from 'node:fs';
import { Command } from '@commander-js/extra-typings';
import { checkSolverName } from '../config/solvers.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import { UsageError, UserError } from '../core/errors.js';
import { write } from '../core/io.js';
import { schedule } from '../investigate/effects.js';
import { workflowScheduler } from '../investigate/workflow-scheduler.js';
import { presentFinished, presentResult, type SubmitFormat } from '../present/submit.js';
import { progressRenderer } from '../present/workflow-progress.js';
import type { Store } from '../store/index.js';
import { buildWorkflow } from '../workflows/build.js';
import { checkLedger, failedPhase } from '../workflows/ledger-check.js';
import { configuredNamespace, namespaceFor } from '../workflows/namespaces.js';
import { requestFromCli, withOverrides } from '../workflows/request-from-flags.js';
import { scheduleWorkflow, statusOf } from '../workflows/schedule.js';
import type { KubeClient, ScheduleResult, WorkflowRequest } from '../workflows/types.js';
import { describePhase, waitForWorkflow } from '../workflows/wait-for-workflow.js';
import { requestFromWorkflowFile } from '../workflows/workflow-file.js';
import type { CommandDefinition } from './command.js';
import type { CommandContext } from './context.js';
import { choiceOption, collect } from './options.js';
import { outputOption } from './output.js';

export interface SubmitOptions {
  /** The kind and flags, or -f FILE: the request is built in run(), once the file is read. */
  target:
    { kind: 'flags'; request: WorkflowRequest } | { kind: 'file'; path: string; parameters: string[]; secrets: string[]; force: boolean };
  /** --namespace; undefined: the file's, the settings' or the kubeconfig context's. */
  namespace?: string;
  dryRun?: 'client' | 'server';
  output: SubmitFormat;
  wait: boolean;
  watch: boolean;
  /** --timeout: how long --wait/--watch wait before giving up (ms); undefined: until the workflow ends. */
  timeoutMs?: number;
  kubeconfig?: string;
  context?: string;
}

/** What run() works with once a -f file is read: the request and where it goes. */
interface Submission extends Omit<SubmitOptions, 'target' | 'namespace'> {
  request: WorkflowRequest;
  /** From --namespace, the file or the settings; undefined: the kubeconfig context's. */
  namespace?: string;
  /** Fields of a -f file that thoth replaces with its own, warned about on stderr. */
  ignored: string[];
}

/** SubmitOptions once the namespace is known. */
type Targeted = Submission & { namespace: string };

/** A client-side dry run with no namespace anywhere still shows a workflow, in the design card's namespace. */
const DRY_RUN_NAMESPACE = 'thoth';

export const submitCommand: CommandDefinition<SubmitOptions> = {
  declare: (parse, done) =>
    new Command('submit')
      .argument(
        '[kind]',
        'workflow kind: solver, revsolver, security-indicators, adviser, provenance-checker, package-extract, build-analysis, graph-sync, kebechet, kebechet-run-url, kebechet-administrator, repo-init',
      )
      .argument('[package]', 'name==version for package kinds (solver, revsolver, security-indicators, kebechet-administrator)')
      .option(
        '-p, --parameter <KEY=VALUE>',
        'workflow parameter by its upstream name (repeatable; overrides what the package operand filled)',
        collect,
      )
      .option(
        '--namespace <ns>',
        "namespace (default: THOTH_MIDDLETIER_NAMESPACE or THOTH_BACKEND_NAMESPACE by kind, else the kubeconfig context's)",
      )
      .option('--solver <name>', 'solver for `submit solver` (default: first of THOTH_SOLVERS, else solver-rhel-8-py38)', (name: string) =>
        checkSolverName(name, '--solver'),
      )
      .option('--index-url <url>', 'package index (default: first of THOTH_INDEX_URLS, else PIP_INDEX_URL, else pip.conf)')
      .option(
        '--secret <ENV=SECRET:KEY>',
        'credentials from a Kubernetes Secret, e.g. THOTH_REGISTRY_CREDENTIALS=registry-creds:auth (repeatable)',
        collect,
      )
      .option('--force', 'a deliberate re-run: a new workflow with a unique name even if this request ran before')
      .addOption(
        choiceOption(
          '--dry-run <mode>',
          'client: print the workflow, contact nothing; server: let the API server validate it, create nothing',
          ['client', 'server'] as const,
          (value) => `--dry-run must be client or server (got ${JSON.stringify(value)})`,
        ),
      )
      .addOption(outputOption(['json', 'yaml', 'name'] as const, { always: 'name' }))
      .option('--wait', 'wait for the workflow to finish; exit 1 when it fails or errors')
      .option('--watch', 'like --wait, showing phase and node progress on stderr')
      .option('--timeout <duration>', 'with --wait/--watch: give up after this long (90s, 5m, 1h30m), exit 1 with the phase last seen')
      .option(
        '-f, --file <path>',
        "submit a Workflow file (`-` for stdin) that references one of thoth's WorkflowTemplates; -p overrides or adds its parameters",
      )
      .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, or the in-cluster service account)')
      .option('--context <name>', 'kubeconfig context (default: its current-context)')
      .addHelpText(
        'after',
        `
The workflow's name is derived from its kind and parameters, so submitting the same request
twice creates one workflow (the second prints "unchanged"). Templates live in deploy/argo/.

Examples:
  $ thoth submit solver requests==2.25.1 --namespace thoth --dry-run client -o yaml --index-url https://index.example/simple
  $ thoth submit solver requests==2.25.1 --solver solver-fedora-35-py310 --index-url https://index.example/simple
  $ thoth submit security-indicators flask==2.0.1 --namespace thoth --wait --timeout 30m
  $ thoth submit adviser -p THOTH_ADVISER_RECOMMENDATION_TYPE=stable --namespace thoth-backend
  $ thoth submit -f workflow.yaml --dry-run server`,
      )
      .action((kind, packageSpec, o) => {
        if (o.wait && o.watch) throw new UsageError('--wait and --watch cannot be used together');
        if (o.dryRun && (o.wait || o.watch)) throw new UsageError('a dry run creates nothing to wait for: drop --wait/--watch');
        const timeoutMs = o.timeout === undefined ? undefined : parseDuration(o.timeout);
        if (o.timeout !== undefined) {
          if (timeoutMs === undefined || timeoutMs <= 0)
            throw new UsageError(`--timeout expects a duration such as 90s, 5m or 1h30m (got ${JSON.stringify(o.timeout)})`);
          if (!o.wait && !o.watch) throw new UsageError('--timeout limits --wait or --watch: add one of them');
        }
        const parameters = o.parameter ?? [];
        const secrets = o.secret ?? [];
        let target: SubmitOptions['target'];
        if (o.file !== undefined) {
          if (kind !== undefined) throw new UsageError('give either a kind or -f FILE, not both');
          if (o.solver !== undefined || o.indexUrl !== undefined)
            throw new UsageError('--solver and --index-url fill a package operand; with -f FILE give parameters with -p');
          target = { kind: 'file', path: o.file, parameters, secrets, force: Boolean(o.force) };
        } else {
          if (kind === undefined) throw new UsageError('missing workflow kind (or -f FILE)', 'e.g. thoth submit solver requests==2.25.1');
          const settings = parse.settings;
          const defaults = { solvers: settings.solvers, indexUrl: () => settings.defaultIndexUrl?.url };
          const request = requestFromCli(
            { kind, packageSpec, parameters, secrets, solver: o.solver, indexUrl: o.indexUrl, force: Boolean(o.force) },
            defaults,
          );
          target = { kind: 'flags', request };
        }
        done({
          target,
          namespace: o.namespace,
          dryRun: o.dryRun,
          output: o.output ?? 'name',
          wait: Boolean(o.wait),
          watch: Boolean(o.watch),
          timeoutMs,
          kubeconfig: o.kubeconfig,
          context: o.context,
        });
      }),

  async run(options, context) {
    const submission = await submissionOf(options, context);
    for (const field of submission.ignored)
      context.log.warn(`the file's ${field} is not used: thoth names, labels and annotates its workflows itself`);
    if (submission.dryRun === 'client') {
      // Nothing leaves the machine: no cluster, no ledger.
      const namespace = await dryRunNamespace(submission, context);
      const workflow = buildWorkflow(submission.request, { namespace, now: context.clock.now });
      await write(
        context.io.stdout,
        presentResult({ name: workflow.metadata.name, outcome: 'created', workflow }, submission.output, 'client'),
      );
      return;
    }
    const kube = await context.kube({ kubeconfig: submission.kubeconfig, context: submission.context, retryNotices: true });
    // Flags and variables win; otherwise the context's namespace, as kubectl and argo do.
    const targeted: Targeted = {
      ...submission,
      namespace: namespaceFor(
        submission.request.kind,
        { namespace: submission.namespace },
        context.settings.namespaces,
        kube.defaultNamespace,
      ),
    };
    const from = submission.namespace || !kube.defaultNamespace ? '' : ` (from ${kube.defaultNamespace.from}; --namespace NS to change)`;
    context.log.notice(`cluster: ${kube.description}, namespace ${targeted.namespace}${from}`);
    if (targeted.dryRun === 'server') {
      const result = await scheduleWorkflow(targeted.request, {
        kube,
        namespace: targeted.namespace,
        now: context.clock.now,
        dryRun: 'server',
        signal: context.signal,
      });
      await write(context.io.stdout, presentResult(result, targeted.output, 'server'));
      return;
    }
    const store = await context.store();
    const result = await scheduleChecked(targeted, context, kube, store);
    const failed = result.outcome === 'created' ? undefined : failedPhase(result.workflow);
    if (failed)
      context.log.notice(
        `workflow ${result.name} already exists in namespace ${result.namespace} and ended ${failed}; --force submits a new run`,
      );
    else if (result.outcome === 'known')
      context.log.notice(`the ledger already has ${result.name} for this request; --force submits a new run`);
    if (targeted.wait || targeted.watch) {
      if (targeted.output === 'name') await write(context.io.stdout, presentResult(result, 'name'));
      await follow(result, targeted, context, kube, store);
      return;
    }
    await write(context.io.stdout, presentResult(result, targeted.output));
  },
};

/** The request of `-f FILE` (read here: `-f -` is stdin) or of the flags, and its namespace. */
async function submissionOf(options: SubmitOptions, context: Pick<CommandContext, 'io' | 'settings'>): Promise<Submission> {
  const { target, ...rest } = options;
  if (target.kind === 'flags') {
    return {
      ...rest,
      request: target.request,
      namespace: configuredNamespace(target.request.kind, { namespace: options.namespace }, context.settings.namespaces),
      ignored: [],
    };
  }
  const file = await readFileText(target.path, context.io.stdin);
  const fromFile = requestFromWorkflowFile(file.text, file.origin, target.force);
  const request = withOverrides(fromFile.request, { parameters: target.parameters, secrets: target.secrets });
  const namespace = configuredNamespace(request.kind, { namespace: options.namespace ?? fromFile.namespace }, context.settings.namespaces);
  return { ...rest, request, namespace, ignored: fromFile.ignored };
}

async function readFileText(path: string, stdin: NodeJS.ReadableStream): Promise<{ text: string; origin: string }> {
  if (path !== '-') {
    try {
      return { text: readFileSync(path, 'utf8'), origin: path };
    } catch (error) {
      throw new UserError(`cannot read workflow file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return { text: Buffer.concat(chunks).toString('utf8'), origin: '<stdin>' };
}

/**
 * Schedules through the investigator's scheduling capability, so a workflow
 * submitted by hand and one the investigator schedules share naming, ledger
 * and idempotency (STYLE 7). The ledger is checked against the cluster first:
 * a person asking deserves the cluster's answer, not a stale "Pending".
 */
async function scheduleChecked(options: Targeted, context: CommandContext, kube: KubeClient, store: Store): Promise<ScheduleResult> {
  const now = context.clock.now;
  const check = await checkLedger(options.request, { store, kube, namespace: options.namespace, now, signal: context.signal });
  if (check.kind === 'gone') {
    context.log.notice(`the ledger had ${check.entry.name} as ${check.entry.status}, but the cluster no longer has it: creating it again`);
    // The stale entry is not taken as done, so the workflow is created (a 409 with the same key still means one).
    return scheduleWorkflow(options.request, { store, kube, namespace: options.namespace, now, signal: context.signal, recreate: true });
  }
  const scheduler = workflowScheduler({ kube, namespaceFor: () => options.namespace, now, signal: context.signal });
  const result = await scheduler.schedule(schedule(options.request, 'thoth submit'), null, store);
  // The object as the cluster holds it (for -o json|yaml, and its phase when it existed); one that is gone (TTL) is shown as built.
  const onCluster =
    options.output === 'name' && result.outcome === 'created'
      ? undefined
      : await kube.getWorkflow(options.namespace, result.name, context.signal);
  const workflow = onCluster ?? buildWorkflow({ ...options.request, force: false }, { namespace: options.namespace });
  return { ...result, workflow: { ...workflow, metadata: { ...workflow.metadata, name: result.name } } };
}

async function follow(result: ScheduleResult, options: Targeted, context: CommandContext, kube: KubeClient, store: Store): Promise<void> {
  const render = options.watch ? progressRenderer(context.io.stderr) : undefined;
  const outcome = await waitForWorkflow(kube, result.namespace, result.name, {
    signal: context.signal,
    onChange: render,
    timeoutMs: options.timeoutMs,
  });
  store.setWorkflowStatus(result.name, statusOf(outcome.workflow), new Date(context.clock.now()).toISOString());
  if (outcome.timedOut) {
    throw new UserError(
      `workflow ${result.name} in namespace ${result.namespace} did not finish within ${formatDuration(options.timeoutMs!)}; last seen ${describePhase(outcome.workflow)}`,
      outcome.workflow.status?.phase
        ? undefined
        : 'no phase at all: is the Argo workflow controller running in this cluster? (kubectl get pods -A -l app=workflow-controller)',
    );
  }
  await write(context.io.stdout, presentFinished({ ...result, workflow: outcome.workflow }, outcome.phase, options.output));
  if (!outcome.failure) return;
  const where = outcome.failure.node ? `node ${outcome.failure.node}: ` : '';
  throw new UserError(
    `workflow ${result.name} in namespace ${result.namespace} ended ${outcome.phase}: ${where}${outcome.failure.message}`,
  );
}

/** A client-side dry run contacts nothing, but reads the kubeconfig (when there is one) for its namespace. */
async function dryRunNamespace(options: Submission, context: CommandContext): Promise<string> {
  if (options.namespace) return options.namespace;
  const fallback = await context.kube({ kubeconfig: options.kubeconfig, context: options.context, retryNotices: true }).then(
    (kube) => kube.defaultNamespace,
    (error: unknown) => {
      if (error instanceof UserError) return undefined;
      throw error;
    },
  );
  if (fallback) {
    const namespace = namespaceFor(options.request.kind, {}, context.settings.namespaces, fallback);
    context.log.notice(`namespace ${namespace} (from ${fallback.from}; --namespace NS to change)`);
    return namespace;
  }
  context.log.notice(
    `namespace ${DRY_RUN_NAMESPACE} (no --namespace, namespace variable or kubeconfig context namespace; --namespace NS to change)`,
  );
  return DRY_RUN_NAMESPACE;
}

/**
 * The one effect executor (STYLE §7), shared by the investigator, `thoth
 * publish` and `thoth submit`. It applies a message's effects so that doing
 * it twice does nothing more than doing it once:
 *
 *   1. everything is checked first (follow-up bodies, workflow parameters),
 *      so a bad effect fails the message before anything is applied;
 *   2-3. workflows through scheduleWorkflow: deterministic names, the ledger,
 *      and 409 AlreadyExists with a matching key counted as done;
 *   4. then ONE transaction: knowledge, the ledger entries and bookkeeping
 *      of those workflows, and the advice runs they complete (and the
 *      caller's closing write, the inbox row, when nothing is published);
 *   5. follow-up messages after the writes they depend on; an advice run is
 *      marked re-run only once the broker acknowledged it: a crash in
 *      between re-publishes (harmless: the adviser workflow it asks for has
 *      a deterministic name) rather than loses it;
 *   6. metrics, and the closing write when it had to wait for step 5.
 */
import { PermanentError } from '../cli/errors.js';
import { thothVersion } from '../cli/version.js';
import { messageType } from '../messages/catalogue.js';
import { maskSecrets } from '../messages/secrets.js';
import { buildMessage, formatErrors, type Message } from '../messages/validate.js';
import type { AdviceRun, KnowledgeStore, LedgerEntry, PackageKey, SourceRef } from '../store/types.js';
import { resolveParameters } from '../workflows/build.js';
import { scheduleWorkflow, type LedgerPort } from '../workflows/schedule.js';
import type { KubeClient, WorkflowKind } from '../workflows/types.js';
import type { Effect, KnowledgeChange } from './effects.js';

export const SCHEDULED_WORKFLOWS_METRIC = 'thoth_investigator_scheduled_workflows_total';
export const INVALID_FOLLOW_UP = 'InvalidFollowUp';

export interface PublishRecord {
  /** CLI name of the type (`adviser-re-run`). */
  messageType: string;
  message: Message;
  key: string | null;
  headers: Record<string, string>;
}

export interface ExecutorEvent {
  kind: 'scheduled' | 'known' | 'exists' | 'recorded-workflow' | 'recorded' | 'published' | 'metric';
  detail: Record<string, unknown>;
}

export interface ExecutorContext {
  store: KnowledgeStore;
  /** null: workflows are recorded in the ledger only (`--workflows record`). */
  kube: KubeClient | null;
  namespaceFor: (kind: WorkflowKind) => string;
  /** Resolves once the broker acknowledged the record. */
  publish: (record: PublishRecord) => Promise<void>;
  /** When given, a message's follow-ups go in one call (thoth publish --file); resolves once all are acknowledged. */
  publishBatch?: (records: PublishRecord[]) => Promise<void>;
  now: () => number;
  onEvent?: (event: ExecutorEvent) => void;
  metrics?: { count(name: string, labels: Record<string, string>, value: number, kind: 'counter' | 'gauge'): void };
  signal?: AbortSignal;
  /** `thoth submit --dry-run`: passed to scheduleWorkflow (the ledger is neither read nor written). */
  dryRun?: 'client' | 'server';
  /** component_name/service_version of follow-up messages; default thoth-investigator and thoth's version. */
  origin?: { componentName: string; serviceVersion: string };
}

export interface Executor {
  /**
   * `close` is a last cache write for the message (the investigator's inbox row): it joins the
   * message's one write transaction when the message publishes nothing, else it follows the
   * publishes, so that it is never durable before them.
   */
  execute(effects: Effect[], source: SourceRef | null, options?: { close?: () => void }): Promise<ExecutorEvent[]>;
}

/** Applies one cache change; every branch is an upsert, so applying it twice changes nothing more. */
export function applyChange(store: KnowledgeStore, change: KnowledgeChange, at: string): void {
  switch (change.what) {
    case 'version':
      return store.recordVersion(change.key);
    case 'solved':
      store.recordVersion(change.key);
      return store.recordSolved(change.key, change.solver, change.error ? { error: true } : undefined);
    case 'unresolved':
      return store.recordUnresolved(change.key, at, change.solver);
    case 'advice-wait':
      return store.addAdviceWait(change.adviserId, change.recommendationType, change.key);
    case 'missing':
      return store.setMissing(change.key, change.missing);
    case 'package-missing':
      store.setPackageMissing(change.packageName, change.indexUrl);
      return;
    case 'provides-source-distro':
      return store.setProvidesSourceDistro(change.key, change.value);
    case 'hash-present':
      return store.setHashPresent(change.key, change.hashes, change.present);
    case 'cve':
      return store.recordCve(change.key, at);
    case 'security-indicators':
      return store.setSecurityIndicatorState(change.key, change.state);
  }
}

/**
 * Changes written only once this message's workflows are in the ledger: the SI
 * "scheduled" state (written earlier, a failed create would skip SI for good)
 * and an advice run's wait (written earlier, a solved-package handled at the
 * same moment on another partition could release the run before the solver
 * workflows it must wait for are known to be in flight).
 */
function isWorkflowBookkeeping(change: KnowledgeChange): boolean {
  return (change.what === 'security-indicators' && change.state === 'scheduled') || change.what === 'advice-wait';
}

function changeDetail(change: KnowledgeChange): Record<string, unknown> {
  const { what, ...rest } = change;
  return { what, ...rest };
}

/**
 * A version an advice run waits on is solved once it has a solver result and
 * every solver workflow still in flight for it has reported. So a request
 * that named one solver (the adviser asks for its own runtime environment)
 * waits for that solver only, and a request for all waits for all; a solver
 * workflow that failed is not waited for.
 */
function solvedForAdvice(store: KnowledgeStore, version: PackageKey & { solved: boolean }): boolean {
  if (!version.solved) return false;
  const inFlight = store.workflowsInFlight('solver', version).map((entry) => entry.parameters.THOTH_SOLVER_NAME ?? '');
  return store.solversLacking(version, inFlight.filter(Boolean)).length === 0;
}

/** Advice runs waiting on the version that, as the cache stands, wait on nothing unsolved and have no re-run yet. */
export function completedAdviceRuns(store: KnowledgeStore, key: PackageKey): AdviceRun[] {
  // With no solvers named, the store counts a version solved once any solver has a result.
  return store
    .adviceRunsWaitingOn(key, [])
    .filter((run) => run.reRunPublishedAt === null && run.waitingOn.every((waited) => solvedForAdvice(store, waited)));
}

export function createExecutor(context: ExecutorContext): Executor {
  const origin = context.origin ?? { componentName: 'thoth-investigator', serviceVersion: thothVersion() };

  return {
    async execute(effects, source, options = {}) {
      const events: ExecutorEvent[] = [];
      const emit = (event: ExecutorEvent) => {
        events.push(event);
        context.onEvent?.(event);
      };
      const at = new Date(context.now()).toISOString();

      // 1. Check everything before applying anything.
      const publishes: Array<{ record: PublishRecord; reRunOf?: string }> = [];
      for (const effect of effects) {
        if (effect.type === 'schedule') resolveParameters(effect.request);
        if (effect.type !== 'publish') continue;
        const type = messageType(effect.messageType);
        const built = buildMessage(type, effect.message, origin);
        if (!built.ok) throw new PermanentError(INVALID_FOLLOW_UP, `the ${type.name} follow-up message is invalid: ${formatErrors(built.errors)}`);
        publishes.push({ record: { messageType: type.name, message: built.message, key: effect.key, headers: effect.headers }, reRunOf: effect.reRunOf });
      }

      // 2. What the message writes to the cache: knowledge, and (after its workflows exist) their
      // bookkeeping. Ledger entries are held back too, so that all of it is one durable transaction
      // (step 4): one fsync per message instead of one per write.
      const allChanges = effects.flatMap((e) => (e.type === 'record' ? [e.change] : []));
      const changes = allChanges.filter((change) => !isWorkflowBookkeeping(change));
      const bookkeeping = allChanges.filter(isWorkflowBookkeeping);
      const releases = effects.flatMap((e) => (e.type === 'release-advice' ? [e] : []));
      const ledgerEntries: LedgerEntry[] = [];
      const ledger: LedgerPort = {
        findWorkflowByKey: (key) => [...ledgerEntries].reverse().find((entry) => entry.idempotencyKey === key) ?? context.store.findWorkflowByKey(key),
        recordWorkflow: (entry) => void ledgerEntries.push(entry),
        setWorkflowStatus: (name, status, when) => context.store.setWorkflowStatus(name, status, when),
      };

      // 3. Workflows, in the order the handler asked for them.
      for (const effect of effects) {
        if (effect.type !== 'schedule') continue;
        const request = { ...effect.request, source: effect.request.source ?? source };
        const result = await scheduleWorkflow(request, {
          store: ledger,
          kube: context.kube,
          namespace: context.namespaceFor(request.kind),
          now: context.now,
          signal: context.signal,
          dryRun: context.dryRun,
        });
        const kind = result.outcome === 'created' ? 'scheduled' : result.outcome === 'recorded' ? 'recorded-workflow' : result.outcome;
        emit({ kind, detail: { name: result.name, kind: result.kind, namespace: result.namespace, reason: effect.reason, parameters: request.parameters } });
        if (result.outcome === 'created' || result.outcome === 'recorded') {
          context.metrics?.count(SCHEDULED_WORKFLOWS_METRIC, { message_type: effect.messageType ?? 'manual', workflow_type: result.kind }, 1, 'counter');
        }
      }

      // 4. One transaction: the knowledge, the ledger entries and bookkeeping of the workflows now
      // scheduled, and the advice runs that, as the cache and the ledger now stand, wait on nothing
      // unsolved. A crash before it leaves created workflows the ledger does not know: the
      // redelivered message meets them as 409 AlreadyExists (same name, same key), so still one each.
      const closeNow = publishes.length === 0 ? options.close : undefined;
      let closed = false;
      const writes = changes.length + bookkeeping.length + ledgerEntries.length + releases.length;
      if (writes > 0 || closeNow) {
        const reRuns = context.store.transaction(() => {
          for (const change of changes) applyChange(context.store, change, at);
          for (const entry of ledgerEntries) context.store.recordWorkflow(entry);
          for (const change of bookkeeping) applyChange(context.store, change, at);
          const completed = releases.flatMap((release) => completedAdviceRuns(context.store, release.key));
          if (completed.length === 0 && closeNow) {
            closeNow();
            closed = true;
          }
          return completed;
        });
        for (const change of [...changes, ...bookkeeping]) emit({ kind: 'recorded', detail: changeDetail(change) });
        for (const run of reRuns) {
          const built = buildMessage(messageType('adviser-re-run'), { re_run_adviser_id: run.adviserId, recommendation_type: run.recommendationType }, origin);
          if (!built.ok) throw new PermanentError(INVALID_FOLLOW_UP, `the adviser-re-run for ${run.adviserId} is invalid: ${formatErrors(built.errors)}`);
          if (publishes.some((p) => p.reRunOf === run.adviserId)) continue;
          publishes.push({ record: { messageType: 'adviser-re-run', message: built.message, key: run.adviserId, headers: {} }, reRunOf: run.adviserId });
        }
      }

      // 5. Follow-up messages, after the writes they depend on (in one batch when the context can).
      if (context.publishBatch && publishes.length > 0) await context.publishBatch(publishes.map((p) => p.record));
      for (const { record, reRunOf } of publishes) {
        if (!context.publishBatch) await context.publish(record);
        if (reRunOf !== undefined) context.store.markReRunPublished(reRunOf, at);
        emit({ kind: 'published', detail: { type: record.messageType, key: record.key, message: maskSecrets(record.message) } });
      }

      // 6. Metrics, and the closing write if it did not join step 4.
      if (options.close && !closed) context.store.transaction(options.close);
      for (const effect of effects) {
        if (effect.type !== 'metric') continue;
        context.metrics?.count(effect.name, effect.labels, effect.value, effect.kind);
        emit({ kind: 'metric', detail: { name: effect.name, labels: effect.labels, value: effect.value, metric: effect.kind } });
      }
      return events;
    },
  };
}

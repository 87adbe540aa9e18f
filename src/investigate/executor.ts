/**
 * The investigator's effect executor (STYLE 7): it composes the three
 * capabilities (workflow-scheduler.ts, knowledge-recorder.ts,
 * follow-up-publisher.ts; `thoth submit` and `thoth publish` use one each)
 * and applies a message's effects so that doing it twice does nothing more
 * than doing it once:
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
import { scrubSecrets } from '../messages/secrets.js';
import type { KnowledgeStore, LedgerEntry, SourceRef } from '../store/types.js';
import { resolveParameters } from '../workflows/build.js';
import type { LedgerPort } from '../workflows/schedule.js';
import type { KubeClient, WorkflowKind } from '../workflows/types.js';
import type { Effect } from './effects.js';
import { followUpPublisher, type PublishRecord } from './follow-up-publisher.js';
import { isWorkflowBookkeeping, knowledgeRecorder } from './knowledge-recorder.js';
import { workflowScheduler } from './workflow-scheduler.js';

export type { PublishRecord } from './follow-up-publisher.js';

export const SCHEDULED_WORKFLOWS_METRIC = 'thoth_investigator_scheduled_workflows_total';

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
  now: () => number;
  onEvent?: (event: ExecutorEvent) => void;
  metrics?: { count(name: string, labels: Record<string, string>, value: number, kind: 'counter' | 'gauge'): void };
  signal?: AbortSignal;
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

function changeDetail(change: Extract<Effect, { type: 'record' }>['change']): Record<string, unknown> {
  const { what, ...rest } = change;
  return { what, ...rest };
}

export function createExecutor(context: ExecutorContext): Executor {
  const scheduler = workflowScheduler(context);
  const recorder = knowledgeRecorder(context.store);
  // One record at a time: each follow-up is acknowledged before the next write that depends on it.
  const publisher = followUpPublisher({
    send: async (records) => {
      for (const record of records) await context.publish(record);
    },
    origin: context.origin,
  });

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
        if (effect.type === 'publish') publishes.push({ record: publisher.prepare(effect), reRunOf: effect.reRunOf });
      }

      // 2. What the message writes to the cache: knowledge, and (after its workflows exist) their
      // bookkeeping. Ledger entries are held back too, so that all of it is one durable transaction
      // (step 4): one fsync per message instead of one per write.
      const allChanges = effects.flatMap((e) => (e.type === 'record' ? [e.change] : []));
      const changes = allChanges.filter((change) => !isWorkflowBookkeeping(change));
      const bookkeeping = allChanges.filter(isWorkflowBookkeeping);
      const releases = effects.flatMap((e) => (e.type === 'release-advice' ? [e.key] : []));
      const ledgerEntries: LedgerEntry[] = [];
      const ledger: LedgerPort = {
        findWorkflowByKey: (key) =>
          [...ledgerEntries].reverse().find((entry) => entry.idempotencyKey === key) ?? context.store.findWorkflowByKey(key),
        recordWorkflow: (entry) => void ledgerEntries.push(entry),
        setWorkflowStatus: (name, status, when) => context.store.setWorkflowStatus(name, status, when),
      };

      // 3. Workflows, in the order the handler asked for them.
      for (const effect of effects) {
        if (effect.type !== 'schedule') continue;
        const result = await scheduler.schedule(effect, source, ledger);
        const kind = result.outcome === 'created' ? 'scheduled' : result.outcome === 'recorded' ? 'recorded-workflow' : result.outcome;
        emit({
          kind,
          detail: {
            name: result.name,
            kind: result.kind,
            namespace: result.namespace,
            reason: effect.reason,
            parameters: effect.request.parameters,
          },
        });
        if (result.outcome === 'created' || result.outcome === 'recorded') {
          context.metrics?.count(
            SCHEDULED_WORKFLOWS_METRIC,
            { message_type: effect.messageType ?? 'manual', workflow_type: result.kind },
            1,
            'counter',
          );
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
        const written = recorder.write({ changes, ledgerEntries, bookkeeping, releases, close: closeNow }, at);
        closed = written.closed;
        for (const change of [...changes, ...bookkeeping]) emit({ kind: 'recorded', detail: changeDetail(change) });
        for (const run of written.completed) {
          const reRun = {
            messageType: 'adviser-re-run',
            message: { re_run_adviser_id: run.adviserId, recommendation_type: run.recommendationType },
            key: run.adviserId,
            headers: {},
          };
          const record = publisher.prepare(reRun);
          if (publishes.some((p) => p.reRunOf === run.adviserId)) continue;
          publishes.push({ record, reRunOf: run.adviserId });
        }
      }

      // 5. Follow-up messages, after the writes they depend on; an advice run is marked re-run
      // only once the broker acknowledged its re-run.
      for (const { record, reRunOf } of publishes) {
        await publisher.send([record]);
        if (reRunOf !== undefined) recorder.markReRunPublished(reRunOf, at);
        emit({ kind: 'published', detail: { type: record.messageType, key: record.key, message: scrubSecrets(record.message) } });
      }

      // 6. Metrics, and the closing write if it did not join step 4.
      if (options.close && !closed) recorder.close(options.close);
      for (const effect of effects) {
        if (effect.type !== 'metric') continue;
        context.metrics?.count(effect.name, effect.labels, effect.value, effect.kind);
        emit({ kind: 'metric', detail: { name: effect.name, labels: effect.labels, value: effect.value, metric: effect.kind } });
      }
      return events;
    },
  };
}

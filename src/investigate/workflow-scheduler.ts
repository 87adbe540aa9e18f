/**
 * The scheduling capability of the effect executor (STYLE 7, 15): a
 * schedule effect becomes a workflow through scheduleWorkflow, in the
 * namespace its kind belongs to. `thoth submit` uses this alone; the
 * investigator's executor composes it with the other two.
 */
import type { SourceRef } from '../store/types.js';
import { scheduleWorkflow, type LedgerPort } from '../workflows/schedule.js';
import type { KubeClient, ScheduleResult, WorkflowKind } from '../workflows/types.js';
import type { Effect } from './effects.js';

export type ScheduleEffect = Extract<Effect, { type: 'schedule' }>;

export interface WorkflowSchedulerContext {
  /** null: workflows are recorded in the ledger only (`--workflows record`). */
  kube: KubeClient | null;
  namespaceFor: (kind: WorkflowKind) => string;
  now: () => number;
  signal?: AbortSignal;
}

export interface WorkflowScheduler {
  /**
   * Schedules one effect's workflow; `source` is the message that asked, when the request names none. `kube`
   * stands in for the context's cluster (the executor's deferring view of it).
   */
  schedule(effect: ScheduleEffect, source: SourceRef | null, ledger: LedgerPort, kube?: KubeClient): Promise<ScheduleResult>;
}

export function workflowScheduler(context: WorkflowSchedulerContext): WorkflowScheduler {
  return {
    schedule(effect, source, ledger, kube) {
      const request = { ...effect.request, source: effect.request.source ?? source };
      return scheduleWorkflow(request, {
        store: ledger,
        kube: kube ?? context.kube,
        namespace: context.namespaceFor(request.kind),
        now: context.now,
        signal: context.signal,
      });
    },
  };
}

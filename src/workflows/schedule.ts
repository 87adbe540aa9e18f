/**
 * The one idempotent path from a WorkflowRequest to a workflow, shared by the
 * investigator's effect executor and `thoth submit`.
 *
 * Order, for crash safety: the cluster first, the ledger second. A crash
 * between the two leaves a workflow the ledger does not know; the request
 * comes again (the message is redelivered, the user re-runs), gets the same
 * deterministic name, Kubernetes answers 409 with the same idempotency key,
 * the outcome is 'exists' and the ledger is written then: still one workflow.
 * The other order could leave a ledger entry for a workflow that never
 * existed, and that work would be skipped for ever.
 */
import type { KnowledgeStore, LedgerEntry, WorkflowStatus } from '../store/types.js';
import { buildWorkflow, idempotencyKeyOf } from './build.js';
import { packageOf } from './kinds.js';
import type { KubeClient, ScheduleResult, Workflow, WorkflowRequest } from './types.js';

export type LedgerPort = Pick<KnowledgeStore, 'findWorkflowByKey' | 'recordWorkflow' | 'setWorkflowStatus'>;

interface ScheduleTarget {
  /** null: record in the ledger only (`--workflows record`). */
  kube: KubeClient | null;
  namespace: string;
  now: () => number;
  signal?: AbortSignal;
  /** The unique part of a `--force` name (tests pin it). */
  random?: () => string;
}

export type ScheduleContext = ScheduleTarget &
  (
    | {
        store: LedgerPort;
        dryRun?: undefined;
        /** The ledger's entry for the request is stale (the cluster no longer has it): do not take it as done. */
        recreate?: boolean;
      }
    | {
        /** The ledger is neither read nor written; 'client' sends nothing, 'server' asks the API server to validate only. */
        dryRun: 'client' | 'server';
        store?: LedgerPort;
        recreate?: undefined;
      }
  );

const KNOWN_IN_CLUSTER_MODE: ReadonlySet<WorkflowStatus> = new Set(['Pending', 'Running', 'Succeeded']);
const KNOWN_IN_RECORD_MODE: ReadonlySet<WorkflowStatus> = new Set(['recorded', 'Pending', 'Running', 'Succeeded']);

const LEDGER_STATUSES: ReadonlySet<string> = new Set(['Pending', 'Running', 'Succeeded', 'Failed', 'Error']);

/** The ledger status for a workflow object: its phase, 'Pending' before Argo has set one. */
export function statusOf(workflow: Workflow): WorkflowStatus {
  const phase = workflow.status?.phase;
  return phase && LEDGER_STATUSES.has(phase) ? (phase as WorkflowStatus) : 'Pending';
}

function ledgerEntry(workflow: Workflow, request: WorkflowRequest, status: WorkflowStatus, at: string): LedgerEntry {
  const parameters = Object.fromEntries((workflow.spec.arguments?.parameters ?? []).map((p) => [p.name, p.value]));
  const pkg = packageOf(request.kind, parameters);
  return {
    name: workflow.metadata.name,
    kind: request.kind,
    namespace: workflow.metadata.namespace,
    parameters,
    idempotencyKey: idempotencyKeyOf(workflow)!,
    status,
    source: request.source ?? null,
    createdAt: at,
    updatedAt: at,
    packageName: pkg?.packageName ?? null,
    packageVersion: pkg?.packageVersion ?? null,
    indexUrl: pkg?.indexUrl ?? null,
  };
}

export async function scheduleWorkflow(request: WorkflowRequest, context: ScheduleContext): Promise<ScheduleResult> {
  const workflow = buildWorkflow(request, { namespace: context.namespace, now: context.now, random: context.random });
  const base = { kind: request.kind, namespace: context.namespace };
  const at = new Date(context.now()).toISOString();

  // A dry run shows what would be sent, so it skips the ledger both ways.
  if (!request.force && !context.dryRun && !context.recreate) {
    const known = context.store.findWorkflowByKey(idempotencyKeyOf(workflow)!);
    const knownStatuses = context.kube ? KNOWN_IN_CLUSTER_MODE : KNOWN_IN_RECORD_MODE;
    if (known && known.namespace === context.namespace && knownStatuses.has(known.status)) {
      return {
        ...base,
        name: known.name,
        outcome: 'known',
        workflow: { ...workflow, metadata: { ...workflow.metadata, name: known.name } },
      };
    }
  }

  if (context.dryRun === 'client') return { ...base, name: workflow.metadata.name, outcome: 'created', workflow };
  if (!context.kube) {
    if (context.dryRun) return { ...base, name: workflow.metadata.name, outcome: 'recorded', workflow };
    context.store.recordWorkflow(ledgerEntry(workflow, request, 'recorded', at));
    return { ...base, name: workflow.metadata.name, outcome: 'recorded', workflow };
  }

  const { outcome, workflow: onCluster } = await context.kube.createWorkflow(workflow, {
    dryRun: context.dryRun === 'server',
    signal: context.signal,
  });
  if (context.dryRun === undefined) context.store.recordWorkflow(ledgerEntry(workflow, request, statusOf(onCluster), at));
  return { ...base, name: workflow.metadata.name, outcome, workflow: onCluster };
}

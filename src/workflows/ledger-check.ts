/**
 * What `thoth submit` knows before it schedules: the ledger's entry for the
 * request, checked against the cluster when the ledger says it is still in
 * flight. A person asking deserves the cluster's answer, not a stale
 * "Pending" left by a workflow that failed or was deleted (a TTL) since.
 * The investigator keeps trusting the ledger, which it keeps in step with
 * the phases it watches.
 */
import type { LedgerEntry } from '../store/types.js';
import { buildWorkflow, idempotencyKeyOf } from './build.js';
import { statusOf, type LedgerPort } from './schedule.js';
import type { KubeClient, Workflow, WorkflowRequest } from './types.js';

export type LedgerCheck =
  /** The ledger has no entry for this request in this namespace. */
  | { kind: 'unknown' }
  /** The ledger has it; `onCluster` when it was read back (the entry was in flight). */
  | { kind: 'known'; entry: LedgerEntry; onCluster?: Workflow }
  /** The ledger says in flight, the cluster no longer has it. */
  | { kind: 'gone'; entry: LedgerEntry };

const IN_FLIGHT: ReadonlySet<string> = new Set(['Pending', 'Running']);

export async function checkLedger(
  request: WorkflowRequest,
  context: { store: LedgerPort; kube: KubeClient; namespace: string; now: () => number; signal?: AbortSignal },
): Promise<LedgerCheck> {
  if (request.force) return { kind: 'unknown' };
  const key = idempotencyKeyOf(buildWorkflow({ ...request, force: false }, { namespace: context.namespace }))!;
  const entry = context.store.findWorkflowByKey(key);
  if (!entry || entry.namespace !== context.namespace) return { kind: 'unknown' };
  if (!IN_FLIGHT.has(entry.status)) return { kind: 'known', entry };
  const onCluster = await context.kube.getWorkflow(entry.namespace, entry.name, context.signal);
  if (!onCluster) return { kind: 'gone', entry };
  const status = statusOf(onCluster);
  if (status !== entry.status) context.store.setWorkflowStatus(entry.name, status, new Date(context.now()).toISOString());
  return { kind: 'known', entry: { ...entry, status }, onCluster };
}

/** A finished workflow that did not succeed, with Argo's message when it gave one. */
export function failedPhase(workflow: Workflow | undefined): string | undefined {
  const phase = workflow?.status?.phase;
  if (phase !== 'Failed' && phase !== 'Error') return undefined;
  return workflow!.status?.message ? `${phase} (${workflow!.status.message})` : phase;
}

/**
 * The ledger follows the cluster: while the investigator runs against a
 * cluster it lists the app=thoth workflows of its namespaces now and then and
 * writes each phase change of a workflow it knows into the ledger. A round
 * lists only the workflows Argo has not completed (a namespace keeps its
 * finished ones until they are collected: thousands), and reads one by one
 * those the ledger still has unfinished that the list no longer holds: they
 * finished since the last round (or were deleted: left as they are). So `query
 * workflows --status Failed` tells the truth about what the investigator
 * scheduled, and a finished security-indicators workflow marks its version
 * analysed (src/store/ledger.ts).
 *
 * A list that fails is tried again on the next round: the ledger only lags.
 *
 * A phase change is knowledge like any other: `record` writes it as facts
 * (the workflow's entry, and a finished SI workflow's state) to the knowledge
 * topic and this cache, so every replica's ledger follows, not only the one
 * that listed it.
 */
import { FatalError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { sleep } from '../core/sleep.js';
import type { Fact } from '../facts/facts.js';
import { securityIndicatorsOutcome, workflowFact } from '../store/ledger.js';
import type { KnowledgeStore, LedgerEntry, WorkflowStatus } from '../store/types.js';
import { statusOf } from '../workflows/schedule.js';
import type { Workflow } from '../workflows/types.js';

export interface PhaseFollowOptions {
  /** The workflows of the namespace Argo has not completed. */
  listUnfinished(namespace: string): Promise<Workflow[]>;
  /** One workflow; undefined when it is gone. */
  get(namespace: string, name: string): Promise<Workflow | undefined>;
  namespaces: string[];
  store: Pick<KnowledgeStore, 'findWorkflow' | 'workflowsUnfinished'>;
  /** Writes the facts of a status change (the knowledge topic, then this cache). */
  record(facts: Fact[]): Promise<void>;
  everyMs: number;
  stop: AbortSignal;
  now(): number;
  log: Logger;
  onChange(entry: LedgerEntry, status: WorkflowStatus, message: string | undefined): void;
  /** Refusals already warned about (one warning per cause, not one per round). */
  warned?: Set<string>;
}

/** One round: every namespace listed once; returns how many ledger entries changed. */
export async function syncPhases(o: Omit<PhaseFollowOptions, 'everyMs' | 'stop'>): Promise<number> {
  let changed = 0;
  for (const namespace of o.namespaces) {
    let workflows: Workflow[];
    try {
      workflows = await o.listUnfinished(namespace);
      const listed = new Set(workflows.map((w) => w.metadata?.name));
      for (const entry of o.store.workflowsUnfinished(namespace)) {
        if (listed.has(entry.name)) continue;
        const finished = await o.get(namespace, entry.name);
        if (finished) workflows.push(finished);
      }
    } catch (error) {
      const text = `listing workflows in ${namespace} for their phases failed: ${error instanceof Error ? error.message : String(error)}`;
      // A cluster that refuses the list (a verb not granted) will refuse it every round: say so once, loudly; a passing failure quietly.
      if (error instanceof FatalError) {
        if (!o.warned?.has(text)) o.log.warn(`${text}; the ledger will not follow workflow phases${error.hint ? ` (${error.hint})` : ''}`);
        o.warned?.add(text);
      } else o.log.debug(text);
      continue;
    }
    for (const workflow of workflows) {
      const name = workflow.metadata?.name;
      const entry = name ? o.store.findWorkflow(name) : undefined;
      // Recorded-only entries never reached this cluster; another namespace's namesake is not ours.
      if (!entry || entry.namespace !== namespace || !workflow.status?.phase) continue;
      const status = statusOf(workflow);
      if (status === entry.status) continue;
      const at = new Date(o.now()).toISOString();
      const outcome = securityIndicatorsOutcome(entry, status, at);
      await o.record([workflowFact({ ...entry, status, updatedAt: at }, entry), ...(outcome ? [outcome] : [])]);
      changed++;
      o.onChange(entry, status, workflow.status.message);
    }
  }
  return changed;
}

/** A round every `everyMs` until the stop signal (none at the stop: a dead cluster must not delay the exit). */
export async function followPhases(o: PhaseFollowOptions): Promise<void> {
  const warned = o.warned ?? new Set<string>();
  while (!o.stop.aborted) {
    await sleep(o.everyMs, o.stop);
    if (o.stop.aborted) break;
    await syncPhases({ ...o, warned });
  }
}

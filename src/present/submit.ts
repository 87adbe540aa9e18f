/** How `thoth submit` prints: `workflow.argoproj.io/NAME created` (kubectl's form), or the workflow as YAML or JSON. */
import { stringify as toYaml } from 'yaml';
import type { ScheduleResult, Workflow } from '../workflows/types.js';

export type SubmitFormat = 'name' | 'yaml' | 'json';

const VERB: Record<ScheduleResult['outcome'], string> = {
  created: 'created',
  exists: 'unchanged',
  known: 'unchanged',
  recorded: 'recorded',
};

export function presentResult(
  result: Pick<ScheduleResult, 'name' | 'outcome' | 'workflow'>,
  format: SubmitFormat,
  dryRun?: 'client' | 'server',
): string {
  if (format === 'json') return `${JSON.stringify(asKubectlShows(result.workflow), null, 2)}\n`;
  // YAML 1.1 quoting: kubectl's reader would turn a parameter `yes` or `on` into a boolean.
  if (format === 'yaml') return toYaml(asKubectlShows(result.workflow), { version: '1.1' });
  const note = dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
  return `workflow.argoproj.io/${result.name} ${VERB[result.outcome]}${note}\n`;
}

/**
 * The object as `kubectl get -o json|yaml` shows it: without metadata.managedFields, the server's
 * field-ownership bookkeeping (kubectl hides it unless asked with --show-managed-fields).
 */
function asKubectlShows(workflow: Workflow): Workflow {
  if (!('managedFields' in workflow.metadata)) return workflow;
  const { managedFields: _bookkeeping, ...metadata } = workflow.metadata as Workflow['metadata'] & { managedFields?: unknown };
  return { ...workflow, metadata };
}

/** The line `--wait` prints when the workflow ended (name format), else the finished workflow. */
export function presentFinished(
  result: Pick<ScheduleResult, 'name' | 'outcome' | 'workflow'>,
  phase: string,
  format: SubmitFormat,
): string {
  return format === 'name' ? `workflow.argoproj.io/${result.name} ${phase}\n` : presentResult(result, format);
}

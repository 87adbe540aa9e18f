/** How `thoth submit` prints: `workflow.argoproj.io/NAME created` (kubectl's form), or the workflow as YAML or JSON. */
import { stringify as toYaml } from 'yaml';
import type { ScheduleResult } from '../workflows/types.js';

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
  if (format === 'json') return `${JSON.stringify(result.workflow, null, 2)}\n`;
  // YAML 1.1 quoting: kubectl's reader would turn a parameter `yes` or `on` into a boolean.
  if (format === 'yaml') return toYaml(result.workflow, { version: '1.1' });
  const note = dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
  return `workflow.argoproj.io/${result.name} ${VERB[result.outcome]}${note}\n`;
}

/** The line `--wait` prints when the workflow ended (name format), else the finished workflow. */
export function presentFinished(
  result: Pick<ScheduleResult, 'name' | 'outcome' | 'workflow'>,
  phase: string,
  format: SubmitFormat,
): string {
  return format === 'name' ? `workflow.argoproj.io/${result.name} ${phase}\n` : presentResult(result, format);
}

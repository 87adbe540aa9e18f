/**
 * How `thoth investigate` shows a run: the ink dashboard on a terminal, one
 * JSON line per event when piped (-o ndjson), nothing live for a table to a
 * pipe or for a document (json, yaml); and at the end of a bounded run the
 * summary (text for people, one JSON line after the events, or one json or
 * yaml document).
 */
import type { Io } from '../core/io.js';
import { terminalSafe } from '../core/terminal.js';
import { jsonLinesSink, type EventSink } from '../investigate/events.js';
import type { RunSummary } from '../investigate/summary.js';
import type { FailingRecord } from '../investigate/delivery.js';
import { renderOutput } from '../ui/table.js';
import type { DashboardControls } from '../ui/render-dashboard.js';

export type InvestigateFormat = 'table' | 'wide' | 'json' | 'yaml' | 'ndjson';

export interface EventPresenter {
  sink: EventSink;
  close(): Promise<void>;
  /** The dashboard takes the run's topic controls for its keys. */
  readonly attach?: (controls: DashboardControls) => void;
}

export async function eventPresenter(
  format: InvestigateFormat,
  io: Io,
  options: { color: boolean; secrets: readonly string[]; onQuit?: (interrupt: boolean) => void },
): Promise<EventPresenter> {
  if (format === 'ndjson') {
    const sink = jsonLinesSink(io.stdout);
    return { sink, close: async () => sink.flush() };
  }
  if (io.stdout.isTTY && (format === 'table' || format === 'wide')) {
    // ink only on a terminal, and loaded only then.
    const { openDashboard } = await import('../ui/render-dashboard.js');
    return openDashboard(io.stdout, {
      color: options.color,
      stderr: io.stderr,
      secrets: options.secrets,
      stdin: io.stdin,
      ...(options.onQuit ? { onQuit: options.onQuit } : {}),
    });
  }
  // A table to a pipe, or a document: no live view, only the summary at the end.
  return { sink: () => undefined, close: async () => undefined };
}

export async function presentSummary(summary: RunSummary, format: InvestigateFormat, width: number | undefined): Promise<string> {
  switch (format) {
    case 'table':
      return formatSummaryText(summary, { width });
    case 'wide':
      return formatSummaryText(summary, { limit: Infinity });
    case 'json':
    case 'yaml':
      return renderOutput(summary, format);
    case 'ndjson':
      return `${JSON.stringify(summary)}\n`;
  }
}

/** One line for stderr at the end of every run. */
export function formatCounts(summary: RunSummary): string {
  const c = summary.counts;
  return (
    `investigate: ${c.received} message(s) received, ${c.processed} processed, ${c.deadLetters} dead-lettered` +
    `${c.duplicates ? `, ${c.duplicates} already processed` : ''}${c.skipped ? `, ${c.skipped} skipped (not for this mode, or not a message)` : ''}` +
    `; ${c.workflowsScheduled} workflow(s) scheduled, ${c.workflowsKnown} already known; ${c.published} follow-up(s) published` +
    `${c.badLines ? `; ${c.badLines} unreadable line(s)` : ''}\n`
  );
}

const SHOWN_WORKFLOW_PARAMETERS = /PACKAGE|SOLVER_NAME|RECOMMENDATION|DOCUMENT_ID|IMAGE|URL/;

/** The human summary: what was learned, then what would run (or was created). */
export function formatSummaryText(summary: RunSummary, options: { limit?: number; width?: number } = {}): string {
  return terminalSafe(summaryText(summary, options));
}

function summaryText(summary: RunSummary, options: { limit?: number; width?: number }): string {
  const limit = options.limit ?? 50;
  const out: string[] = [];
  const types = Object.entries(summary.messagesByType).sort(([a], [b]) => a.localeCompare(b));
  out.push(`Messages: ${summary.counts.received} (${types.map(([type, n]) => `${type} ${n}`).join(', ') || 'none'})`);
  out.push('', `Learned (${summary.learnedTotal}):`);
  for (const line of summary.learned.slice(0, limit)) out.push(`  - ${line}`);
  const learnedShown = Math.min(limit, summary.learned.length);
  if (summary.learnedTotal > learnedShown) out.push(`  … and ${summary.learnedTotal - learnedShown} more (thoth query package NAME)`);
  if (summary.learnedTotal === 0) out.push('  nothing new');
  out.push('', `Workflows (${summary.workflowsTotal}):`);
  for (const wf of summary.workflows.slice(0, limit)) {
    const params = Object.entries(wf.parameters)
      .filter(([name]) => SHOWN_WORKFLOW_PARAMETERS.test(name))
      .map(([name, value]) => `${name}=${value.length > 60 ? `${value.slice(0, 60)}…` : value}`)
      .join(' ');
    const line = `  ${wf.status.padEnd(9)} ${wf.kind.padEnd(22)} ${wf.namespace}/${wf.name}`;
    // On a terminal the parameters give way to its width; the workflow's name never does.
    const room = options.width === undefined ? Infinity : options.width - line.length - 2;
    const shown = params.length <= room ? params : room > 8 ? `${params.slice(0, room - 1)}…` : '';
    out.push(`${line}${shown ? `  ${shown}` : ''}`);
  }
  const workflowsShown = Math.min(limit, summary.workflows.length);
  if (summary.workflowsTotal > workflowsShown)
    out.push(`  … and ${summary.workflowsTotal - workflowsShown} more (${summary.more ?? 'thoth query workflows'})`);
  if (summary.workflowsTotal === 0) out.push('  none');
  if (summary.counts.deadLetters > 0) out.push('', `Dead letters: ${summary.counts.deadLetters} (thoth query dead-letters)`);
  const tables = summary.cache.tables;
  out.push(
    '',
    `Cache ${summary.cache.path}: ${tables.package_versions ?? 0} package versions, ${tables.solver_results ?? 0} solver results, ` +
      `${tables.workflows ?? 0} workflows, ${tables.dead_letters ?? 0} dead letters (thoth query stats)`,
  );
  return `${out.join('\n')}\n`;
}

/** The verdict of `--expect`, for stderr: one line when the run matched, else each difference on its own line. */
export function formatExpectation(path: string, differences: readonly string[]): string {
  if (differences.length === 0) return `expect: the run matches ${path}\n`;
  return [
    `expect: ${differences.length} difference${differences.length === 1 ? '' : 's'} from ${path}:`,
    ...differences.map((d) => `  ✘ ${d}`),
    '',
  ].join('\n');
}

/** Records shown by name when a run ends idle with records still failing transiently. */
const FAILING_SHOWN = 5;

/** Why a run that ended idle is a failure: records failing transiently, left uncommitted (first few named). */
export function failingNotice(failing: readonly FailingRecord[]): string {
  const n = failing.length;
  const named = failing
    .slice(0, FAILING_SHOWN)
    .map(
      (f) =>
        `  ${terminalSafe(f.topic)}[${f.partition}]@${f.offset}, ${f.attempts} attempt${f.attempts === 1 ? '' : 's'}: ${terminalSafe(f.reason)}`,
    );
  return [
    `${n} message${n === 1 ? ' was' : 's were'} still failing transiently when the run went idle; left uncommitted, the next run takes ${n === 1 ? 'it' : 'them'} again (--max-retries N dead-letters instead):`,
    ...named,
    ...(n > FAILING_SHOWN ? [`  and ${n - FAILING_SHOWN} more`] : []),
  ].join('\n');
}

/**
 * How `thoth replay` reports a run: the summary is a notice about the run,
 * not a result, so a table goes to stderr; asked for as a json | yaml
 * document, it goes to stdout.
 */
import type { ReplayPlan, ReplaySummary } from '../services/replay.js';
import { renderGrid, renderOutput } from '../ui/table.js';

export type ReplayFormat = 'table' | 'wide' | 'json' | 'yaml';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What was sent, and what was not: invalid lines sent with --include-invalid are counted as sent, not as skipped. */
function sentLine(summary: ReplaySummary, includeInvalid: boolean): string {
  const seconds = (summary.elapsedMs / 1000).toFixed(1);
  const invalidSent = includeInvalid ? Math.min(summary.invalid, summary.sent) : 0;
  const within = invalidSent > 0 ? ` (${invalidSent} of them invalid, sent as --include-invalid asked)` : '';
  const skipped = [
    ...(includeInvalid ? [] : [`${summary.invalid} invalid`]),
    ...(summary.refused > 0 ? [`${summary.refused} refused by the broker`] : []),
    plural(summary.malformed, 'malformed line'),
  ];
  const sent = summary.interrupted
    ? `interrupted: sent ${summary.sent} of ${summary.totalLines === undefined ? `the ${summary.read + summary.malformed} lines read` : plural(summary.totalLines, 'line')}`
    : `sent ${plural(summary.sent, 'message')}`;
  return `${sent} in ${seconds}s${within}; skipped ${skipped.join(' and ')}`;
}

/** What --validate-only checked. */
function checkedLine(summary: ReplaySummary): string {
  const checked = summary.read + summary.malformed;
  const of = summary.totalLines === undefined ? '' : ` of ${summary.totalLines}`;
  const what = summary.interrupted ? `interrupted: checked ${checked}${of}` : `checked ${checked}`;
  return `${what} lines: ${summary.read - summary.invalid} valid, ${summary.invalid} invalid, ${summary.malformed} malformed`;
}

/** Where a failed replay stopped, what was and was not sent, and how to send the rest. */
function failedLines(summary: ReplaySummary): string {
  const stop = summary.failed;
  if (!stop) return '';
  const where = `${stop.file}:${stop.line}`;
  const resume = stop.file === '<stdin>' ? `--resume-from ${stop.line}` : `--resume-from ${where}`;
  return (
    `\nstopped: ${stop.reason}` +
    `\nevery line before ${where} was sent (or skipped and reported above); none from ${where} on was acknowledged by the broker` +
    ` (the ${plural(stop.unacknowledged, 'line')} of the batch in flight may have been written if the broker took them before failing)` +
    `\nto send the rest, run the same command with ${resume}`
  );
}

/** The summary table for people. */
export function presentSummary(summary: ReplaySummary, options: Pick<ReplayPlan, 'validateOnly' | 'includeInvalid'>): string {
  const head = options.validateOnly ? checkedLine(summary) : sentLine(summary, options.includeInvalid);
  const resumed = summary.resumedPast ? `\nresumed: ${plural(summary.resumedPast, 'line')} before --resume-from not read` : '';
  const stopped = (summary.stopped ? '\nstopped at the first bad line (--strict)' : '') + resumed + failedLines(summary);
  const rows = Object.entries(summary.topics).map(([topic, n]) => [topic, String(n)]);
  return `${head}${stopped}\n${rows.length ? renderGrid(['TOPIC', options.validateOnly ? 'VALID' : 'SENT'], rows) : ''}`;
}

/** The document for stdout (json, yaml), or the table for stderr. */
export async function presentReplaySummary(
  summary: ReplaySummary,
  options: Pick<ReplayPlan, 'validateOnly' | 'includeInvalid'> & { output: ReplayFormat },
): Promise<{ stdout?: string; stderr: string }> {
  if (options.output === 'json' || options.output === 'yaml') return { stdout: await renderOutput(summary, options.output), stderr: '' };
  return { stderr: presentSummary(summary, options) };
}

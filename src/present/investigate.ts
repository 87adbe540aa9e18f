/**
 * How `thoth investigate` shows a run: the ink dashboard on a terminal, one
 * JSON line per event when piped (-o ndjson), nothing live for text to a
 * pipe; and at the end of a bounded run the summary (text for people, one
 * JSON line for scripts).
 */
import type { Io } from '../core/io.js';
import { jsonLinesSink, type EventSink } from '../investigate/events.js';
import { formatSummaryText, type RunSummary } from '../investigate/summary.js';

export type InvestigateFormat = 'text' | 'ndjson';

export interface EventPresenter {
  sink: EventSink;
  close(): Promise<void>;
}

export async function eventPresenter(
  format: InvestigateFormat,
  io: Io,
  options: { color: boolean; secrets: readonly string[] },
): Promise<EventPresenter> {
  if (format === 'ndjson') return { sink: jsonLinesSink(io.stdout), close: async () => undefined };
  if (io.stdout.isTTY) {
    // ink only on a terminal, and loaded only then.
    const { renderDashboard } = await import('../ui/render-dashboard.js');
    return renderDashboard(io.stdout, { color: options.color, stderr: io.stderr, secrets: options.secrets });
  }
  // Text to a pipe: no live view, only the summary at the end.
  return { sink: () => undefined, close: async () => undefined };
}

export function presentSummary(summary: RunSummary, format: InvestigateFormat, width: number | undefined): string {
  return format === 'text' ? formatSummaryText(summary, { width }) : `${JSON.stringify(summary)}\n`;
}

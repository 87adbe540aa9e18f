/**
 * How `thoth trace` prints: a table on a terminal (time, kind, version, what),
 * the JSON document when piped (`{package, version, events: [{at, kind,
 * version, text, source?}]}`), one JSON line per event with --follow.
 */
import type { Trace, TraceEvent } from '../services/trace.js';
import { renderOutput, renderTable, type Column, type TableOptions } from '../ui/table.js';

export type TraceFormat = 'table' | 'json' | 'ndjson';

const columns: Array<Column<TraceEvent>> = [
  { header: 'time', value: (e) => e.at.replace(/\.\d+Z$/, 'Z'), truncate: false },
  {
    header: 'kind',
    value: (e) => e.kind,
    truncate: false,
    style: (e) => (e.kind === 'dead-letter' ? 'red' : e.kind === 'workflow' ? 'cyan' : e.kind === 'knowledge' ? 'green' : undefined),
  },
  { header: 'version', value: (e) => e.version || '-', truncate: false },
  { header: 'what', value: (e) => e.text },
];

export async function presentTrace(trace: Trace, format: TraceFormat, options: TableOptions): Promise<{ output: string; empty?: string }> {
  const subject = `${trace.package}${trace.version ? `==${trace.version}` : ''}`;
  if (format === 'json') return { output: await renderOutput(trace, 'json') };
  if (format === 'ndjson') return { output: presentTraceEvents(trace.events, 'ndjson', options) };
  if (trace.events.length === 0) return { output: '', empty: `nothing is known of ${subject} in this cache` };
  return { output: renderTable(trace.events, columns, options) };
}

/** New events while following: table rows without a header, or JSON lines. */
export function presentTraceEvents(events: TraceEvent[], format: TraceFormat, options: TableOptions): string {
  if (format !== 'table') return events.map((e) => `${JSON.stringify(e)}\n`).join('');
  return renderTable(events, columns, options).split('\n').slice(1).join('\n');
}

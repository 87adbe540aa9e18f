/**
 * How `thoth dead-letters` prints: a table of dead letters with their ids, one
 * dead letter in full, and what a re-drive did (or would do) to each. JSON and
 * YAML are for scripts; values and headers are shown with secrets masked.
 */
import { displayText } from '../core/quote.js';
import { maskHeaders, scrubSecrets, withoutCredentials } from '../messages/secrets.js';
import type { RedriveResult } from '../services/dead-letters.js';
import type { DeadLetterEntry } from '../store/index.js';
import { renderFields, renderOutput, renderRecords, renderTable, type Column, type TableOptions } from '../ui/table.js';

export type DeadLettersFormat = 'table' | 'json' | 'yaml' | 'ndjson';

/** A dead letter as scripts read it (`-o json`): the cache's fields, secrets masked. */
export function deadLetterDocument(letter: DeadLetterEntry) {
  return {
    id: letter.id,
    origin: letter.origin,
    topic: letter.topic,
    partition: letter.partition,
    offset: letter.offset,
    error_class: letter.error_class,
    reason: withoutCredentials(letter.reason),
    key: letter.key === undefined ? null : letter.key,
    headers: maskHeaders(letter.headers),
    value: scrubSecrets(letter.value),
    created_at: letter.created_at,
    redriven: letter.redrives.length > 0,
    redrives: letter.redrives,
  };
}

const shortTime = (iso: string) => iso.replace(/\.\d+Z$/, 'Z');
const position = (p: { topic: string; partition: number; offset: number }) => `${p.topic.split('.').pop()}[${p.partition}]@${p.offset}`;

const listColumns: Array<Column<DeadLetterEntry>> = [
  { header: 'id', value: (d) => d.id, align: 'right', truncate: false },
  { header: 'dead-lettered', value: (d) => shortTime(d.created_at), truncate: false },
  { header: 'source', value: (d) => position(d), truncate: false },
  { header: 'error', value: (d) => d.error_class, style: () => 'red', truncate: false },
  { header: 'redriven', value: (d) => (d.redrives.length === 0 ? 'no' : shortTime(d.redrives.at(-1)!.at)) },
  { header: 'reason', value: (d) => withoutCredentials(d.reason) },
];

export async function presentDeadLetterList(letters: DeadLetterEntry[], format: DeadLettersFormat, options: TableOptions) {
  if (format === 'table' && letters.length === 0) return { output: '', empty: 'no dead letters match' };
  return {
    output: await renderRecords(format === 'table' ? letters : letters.map(deadLetterDocument), format, () =>
      renderTable(letters, listColumns, options),
    ),
  };
}

export async function presentDeadLetter(letter: DeadLetterEntry, format: Exclude<DeadLettersFormat, 'ndjson'>, options: TableOptions) {
  const doc = deadLetterDocument(letter);
  if (format !== 'table') return renderOutput(doc, format);
  const headers = Object.entries(doc.headers);
  const fields = renderFields(
    [
      ['id', doc.id],
      ['source', `${doc.topic} partition ${doc.partition} offset ${doc.offset}`],
      ['origin', doc.origin || '(not recorded)'],
      ['dead-lettered', doc.created_at],
      ['error class', doc.error_class],
      ['reason', doc.reason],
      ['key', letter.key === undefined ? '(not recorded)' : letter.key === null ? '(none)' : displayText(letter.key)],
      ['headers', headers.length === 0 ? '(none)' : headers.map(([k, v]) => `${k}=${displayText(v)}`).join(', ')],
      [
        'redriven',
        doc.redrives.length === 0
          ? 'no'
          : doc.redrives.map((r) => `${r.at} to ${r.topic}[${r.partition}]@${r.offset} (from the ${r.copy.replace(/-/g, ' ')})`).join('; '),
      ],
    ],
    options,
  );
  const value = typeof doc.value === 'string' ? doc.value : JSON.stringify(doc.value, null, 2);
  return `${fields}\nvalue (as the cache kept it, secrets masked):\n${displayText(value)}\n`;
}

const STATUS_TEXT: Record<RedriveResult['status'], string> = {
  redriven: 're-driven',
  'would-redrive': 'would re-drive',
  'already-redriven': 'refused: re-driven before',
  unavailable: 'not re-drivable',
};

const redriveColumns: Array<Column<RedriveResult>> = [
  { header: 'id', value: (r) => r.id, align: 'right', truncate: false },
  {
    header: 'result',
    value: (r) => STATUS_TEXT[r.status],
    style: (r) => (r.status === 'redriven' ? 'green' : r.status === 'would-redrive' ? 'cyan' : 'red'),
    truncate: false,
  },
  { header: 'to', value: (r) => (r.position ? `${r.position.topic}[${r.position.partition}]@${r.position.offset}` : r.topic) },
  { header: 'original from', value: (r) => r.copy?.replace(/-/g, ' ') },
  { header: 'note', value: (r) => r.note },
];

export async function presentRedrive(results: RedriveResult[], format: DeadLettersFormat, options: TableOptions) {
  if (format === 'table' && results.length === 0) return { output: '', empty: 'no dead letters match: nothing to re-drive' };
  return { output: await renderRecords(results, format, () => renderTable(results, redriveColumns, options)) };
}

/**
 * A small presenter shared by commands that print lists: aligned tables
 * (coloured only when asked, so NO_COLOR and pipes stay plain), and JSON or
 * YAML documents for scripts. A cell's control characters are shown as
 * escapes (`\x1b`): a value from a message cannot drive the terminal.
 */
import { Chalk } from 'chalk';
import { terminalSafeLine } from '../core/terminal.js';

export type CellStyle = 'green' | 'red' | 'yellow' | 'cyan' | 'dim' | 'bold';

export interface Column<Row> {
  header: string;
  /** The cell text for a row. */
  value: (row: Row) => string | number | boolean | null | undefined;
  align?: 'left' | 'right';
  /** False for cells a user copies (names, versions): shorten other columns instead. Default true. */
  truncate?: boolean;
  /** A colour for the cell, by its row (used only when colour is on). */
  style?: (row: Row) => CellStyle | undefined;
  /**
   * How readily the column gives way when the table is wider than the terminal: columns with
   * one are left out, the highest first, before any cell is shortened. Without one, never.
   */
  dropOrder?: number;
  /** Shown only with `-o wide` (kubectl's extra columns). */
  wideOnly?: boolean;
}

export interface TableOptions {
  color?: boolean;
  /** Terminal width: the least useful columns are left out, then wide columns shortened with `…`, to fit. */
  width?: number;
  /** `-o wide`: every column, nothing left out or shortened, whatever the width. */
  wide?: boolean;
}

const MIN_COLUMN = 4;

function cellText(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '-';
  return terminalSafeLine(String(value).replace(/\s+/g, ' '));
}

function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** Column widths that fit `limit`, taking from the widest column that may be shortened first. */
function fitWidths(widths: number[], shortenable: boolean[], limit: number | undefined, gap: number): number[] {
  const out = [...widths];
  if (!limit) return out;
  const total = () => out.reduce((a, b) => a + b, 0) + gap * (out.length - 1);
  while (total() > limit) {
    const candidates = out.map((w, i) => (shortenable[i] ? w : 0));
    const widest = candidates.indexOf(Math.max(...candidates));
    if (out[widest] <= MIN_COLUMN || !shortenable[widest]) break;
    out[widest]--;
  }
  return out;
}

/** The columns that fit `limit`: those with a dropOrder leave, the highest first (the rightmost of equals), until the rest fit. */
function columnsThatFit<Row>(columns: Array<Column<Row>>, natural: number[], limit: number | undefined, gap: number): number[] {
  const kept = columns.map((_, i) => i);
  if (!limit) return kept;
  const total = () => kept.reduce((sum, i) => sum + natural[i], 0) + gap * (kept.length - 1);
  while (total() > limit) {
    let leaving: number | undefined;
    for (const i of kept) {
      const order = columns[i].dropOrder;
      if (order !== undefined && (leaving === undefined || order >= columns[leaving].dropOrder!)) leaving = i;
    }
    if (leaving === undefined) break;
    kept.splice(kept.indexOf(leaving), 1);
  }
  return kept;
}

export function renderTable<Row>(rows: Row[], allColumns: Array<Column<Row>>, options: TableOptions = {}): string {
  const chalk = new Chalk({ level: options.color ? 1 : 0 });
  const shown = options.wide ? allColumns : allColumns.filter((c) => !c.wideOnly);
  const allCells = rows.map((row) => shown.map((c) => cellText(c.value(row))));
  const allNatural = shown.map((c, i) => Math.max(c.header.length, ...allCells.map((r) => r[i].length)));
  const kept = options.wide ? shown.map((_, i) => i) : columnsThatFit(shown, allNatural, options.width, 2);
  const columns = kept.map((i) => shown[i]);
  const cells = allCells.map((r) => kept.map((i) => r[i]));
  const natural = kept.map((i) => allNatural[i]);
  const widths = fitWidths(
    natural,
    columns.map((c) => c.truncate !== false),
    options.wide ? undefined : options.width,
    2,
  );
  const pad = (text: string, i: number) => {
    const fitted = fit(text, widths[i]);
    return columns[i].align === 'right' ? fitted.padStart(widths[i]) : fitted.padEnd(widths[i]);
  };
  const line = (parts: string[]) => parts.join('  ').trimEnd();
  const header = line(columns.map((c, i) => chalk.bold(pad(c.header.toUpperCase(), i))));
  const body = cells.map((r, n) =>
    line(
      r.map((text, i) => {
        const style = columns[i].style?.(rows[n]);
        return style ? chalk[style](pad(text, i)) : pad(text, i);
      }),
    ),
  );
  return `${[header, ...body].join('\n')}\n`;
}

/** A table of plain string cells under the given headers (no colour, no shortening). */
export function renderGrid(header: string[], rows: string[][]): string {
  return renderTable(
    rows,
    header.map((h, i) => ({ header: h, value: (row: string[]) => row[i] ?? '' })),
  );
}

/** `-o name`: one name per line. */
export function renderNames(names: readonly string[]): string {
  return names.map((name) => `${name}\n`).join('');
}

/** `key: value` lines for one record, keys aligned. */
export function renderFields(fields: Array<[string, string | number | boolean | null | undefined]>, options: TableOptions = {}): string {
  const chalk = new Chalk({ level: options.color ? 1 : 0 });
  const width = Math.max(0, ...fields.map(([k]) => k.length));
  return fields.map(([key, value]) => `${chalk.dim(`${terminalSafeLine(key)}:`.padEnd(width + 1))} ${cellText(value)}`).join('\n') + '\n';
}

/** A document for scripts: JSON (2-space indent, stable key order as built) or YAML. */
export async function renderOutput(data: unknown, format: 'json' | 'yaml'): Promise<string> {
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  const { stringify } = await import('yaml');
  // YAML 1.1 rules quote `yes`, `on`, `2021-01-01`...: PyYAML and Kubernetes' Go readers would take them for booleans and dates.
  return stringify(data, { version: '1.1' });
}

/**
 * Records in the form `-o` asked for: a JSON or YAML document, one JSON line
 * per record (ndjson), or `table` for people.
 */
export async function renderRecords<Row>(
  rows: Row[],
  format: 'table' | 'wide' | 'json' | 'yaml' | 'ndjson' | 'name',
  table: (rows: Row[], wide: boolean) => string,
  name?: (row: Row) => string,
): Promise<string> {
  if (format === 'json' || format === 'yaml') return renderOutput(rows, format);
  if (format === 'ndjson') return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
  if (format === 'name') {
    if (!name) throw new Error('-o name was accepted for records that have no name');
    return renderNames(rows.map(name));
  }
  return table(rows, format === 'wide');
}

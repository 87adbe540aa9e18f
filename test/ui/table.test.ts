import { describe, expect, it } from 'vitest';
import { renderTable, type Column } from '../../src/ui/table.js';

interface Row {
  name: string;
  kind: string;
  note: string;
  source: string;
}

const rows: Row[] = [{ name: 'solver-abc', kind: 'solver', note: 'a long note about it', source: 'unresolved[0]@12' }];
const columns: Array<Column<Row>> = [
  { header: 'name', value: (r) => r.name, truncate: false },
  { header: 'kind', value: (r) => r.kind, dropOrder: 1 },
  { header: 'note', value: (r) => r.note },
  { header: 'source', value: (r) => r.source, dropOrder: 2 },
  { header: 'debug', value: () => 'x', wideOnly: true },
];

describe('tables', () => {
  it('show every column but the wide-only ones when there is room', () => {
    expect(renderTable(rows, columns, { width: 200 })).toBe(
      ['NAME        KIND    NOTE                  SOURCE', 'solver-abc  solver  a long note about it  unresolved[0]@12', ''].join('\n'),
    );
  });

  it('leave out the least useful column first, then the next, then shorten what may be shortened', () => {
    expect(renderTable(rows, columns, { width: 50 }).split('\n')[0]).toBe('NAME        KIND    NOTE');
    expect(renderTable(rows, columns, { width: 34 }).split('\n')).toEqual(['NAME        NOTE', 'solver-abc  a long note about it', '']);
    expect(renderTable(rows, columns, { width: 25 }).split('\n')[1]).toBe('solver-abc  a long note …');
  });

  it('show everything with -o wide, however narrow the terminal', () => {
    expect(renderTable(rows, columns, { width: 20, wide: true }).split('\n')).toEqual([
      'NAME        KIND    NOTE                  SOURCE            DEBUG',
      'solver-abc  solver  a long note about it  unresolved[0]@12  x',
      '',
    ]);
  });
});

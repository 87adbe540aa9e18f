/** How `thoth groups` prints: the groups, one group's members and lag, and a reset's plan. */
import type { GroupReport, ResetRow } from '../services/groups.js';
import { renderNames, renderOutput, renderTable } from '../ui/table.js';

export type GroupsFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';
const dash = (n: number | null) => (n === null ? '-' : n);

export async function presentGroupList(
  groups: Array<{ group: string; state: string }>,
  format: GroupsFormat,
  width?: number,
): Promise<string> {
  if (format === 'json' || format === 'yaml') return renderOutput(groups, format);
  if (format === 'name') return renderNames(groups.map((g) => g.group));
  return renderTable(
    groups,
    [
      { header: 'group', value: (g) => g.group, truncate: false },
      { header: 'state', value: (g) => g.state },
    ],
    { width, wide: format === 'wide' },
  );
}

export async function presentGroup(report: GroupReport, format: Exclude<GroupsFormat, 'name'>, width?: number): Promise<string> {
  if (format === 'json' || format === 'yaml') return renderOutput(report, format);
  const members = report.members.length
    ? report.members
        .map(
          (m) =>
            `  ${m.id}${m.clientId ? ` (${m.clientId}${m.host ? ` at ${m.host}` : ''})` : ''}: ${m.partitions.map((p) => `${p.topic}[${p.partition}]`).join(', ') || 'no partitions'}\n`,
        )
        .join('')
    : '  none\n';
  const table = report.offsets.length
    ? renderTable(
        report.offsets,
        [
          { header: 'topic', value: (r) => r.topic, truncate: false },
          { header: 'partition', value: (r) => r.partition, align: 'right' },
          { header: 'committed', value: (r) => dash(r.committed), align: 'right' },
          { header: 'end', value: (r) => r.end, align: 'right' },
          { header: 'lag', value: (r) => dash(r.lag), align: 'right' },
          { header: 'member', value: (r) => r.member, dropOrder: 1 },
        ],
        { width, wide: format === 'wide' },
      )
    : 'no committed offsets\n';
  return `group ${report.group}: ${report.state}, ${report.members.length} member(s)\n${members}\n${table}`;
}

export async function presentReset(rows: ResetRow[], format: Exclude<GroupsFormat, 'name'>, width?: number): Promise<string> {
  if (format === 'json' || format === 'yaml') return renderOutput(rows, format);
  return renderTable(
    rows,
    [
      { header: 'topic', value: (r) => r.topic, truncate: false },
      { header: 'partition', value: (r) => r.partition, align: 'right' },
      { header: 'current', value: (r) => dash(r.current), align: 'right' },
      { header: 'new', value: (r) => r.target, align: 'right' },
    ],
    { width, wide: format === 'wide' },
  );
}

/**
 * How `thoth query` prints: a table (or a record's fields) for people, and
 * the documented JSON/YAML for scripts. The JSON is exactly what the store's
 * reports return (field names in src/store/reports.ts and package-report.ts).
 */
import type { DeadLetterReport, PackageReport, SqlResult, StoreStats, UnresolvedReport, VersionRef, VersionReport, WorkflowReport } from '../store/index.js';
import { renderFields, renderOutput, renderTable, type Column, type TableOptions } from '../ui/table.js';

export type QueryResult =
  | { what: 'package'; data: PackageReport }
  | { what: 'unresolved'; data: UnresolvedReport[] }
  | { what: 'unsolved'; data: Array<VersionRef & { lacking: string[] }> }
  | { what: 'si-unanalyzed'; data: Array<VersionRef & { security_indicators: string }> }
  | { what: 'missing'; data: VersionRef[] }
  | { what: 'workflows'; data: WorkflowReport[] }
  | { what: 'dead-letters'; data: DeadLetterReport[] }
  | { what: 'indexes'; data: Array<{ url: string; registered_at: string; versions: number }> }
  | { what: 'stats'; data: StoreStats }
  | { what: 'sql'; data: SqlResult };

export interface Presented {
  output: string;
  /** A notice for stderr when there is nothing to show in a table. */
  empty?: string;
}

const versionColumns: Array<Column<VersionRef>> = [
  { header: 'package', value: (r) => r.package_name },
  { header: 'version', value: (r) => r.package_version },
  { header: 'index', value: (r) => r.index_url },
];

const statusStyle = (status: string) =>
  status === 'Succeeded' ? 'green' : status === 'Failed' || status === 'Error' ? 'red' : status === 'Running' ? 'cyan' : ('yellow' as const);

const workflowColumns: Array<Column<WorkflowReport>> = [
  { header: 'name', value: (w) => w.name },
  { header: 'kind', value: (w) => w.kind },
  { header: 'namespace', value: (w) => w.namespace },
  { header: 'status', value: (w) => w.status, style: (w) => statusStyle(w.status) },
  { header: 'created', value: (w) => w.created_at },
  { header: 'source', value: (w) => (w.source ? `${w.source.topic}[${w.source.partition}]@${w.source.offset}` : null) },
];

const yesNo = (value: boolean | null) => (value === null ? '?' : value ? 'yes' : 'no');

const packageVersionColumns: Array<Column<VersionReport>> = [
  { header: 'version', value: (v) => v.version },
  { header: 'index', value: (v) => v.index_url },
  { header: 'solved', value: (v) => v.solvers.filter((s) => s.status === 'solved').map((s) => s.solver).join(', ') || null, style: () => 'green' },
  { header: 'errors', value: (v) => v.solvers.filter((s) => s.status === 'error').map((s) => s.solver).join(', ') || null, style: () => 'red' },
  { header: 'lacking', value: (v) => v.lacking.join(', ') || null, style: () => 'yellow' },
  { header: 'si', value: (v) => v.security_indicators },
  { header: 'missing', value: (v) => yesNo(v.is_missing), style: (v) => (v.is_missing ? 'red' : undefined) },
  { header: 'sdist', value: (v) => yesNo(v.provides_source_distro) },
  { header: 'hashes', value: (v) => (v.hashes.length ? `${v.hashes.filter((h) => h.present).length}/${v.hashes.length} present` : null) },
  { header: 'cves', value: (v) => v.cve_notices.length || null },
  { header: 'requests', value: (v) => v.requests.reduce((n, r) => n + r.count, 0) || null },
  { header: 'advice waiting', value: (v) => v.advice_waiting.filter((a) => !a.re_run_published_at).map((a) => a.adviser_id).join(', ') || null },
];

function presentPackage(report: PackageReport, options: TableOptions): Presented {
  if (report.versions.length === 0 && report.workflows.length === 0) return { output: '', empty: `nothing is known of ${report.name}` };
  const parts = [`${report.name}: ${report.versions.length} version(s) known\n`];
  if (report.versions.length) parts.push(renderTable(report.versions, packageVersionColumns, options));
  if (report.workflows.length) parts.push(`\nworkflows:\n${renderTable(report.workflows, workflowColumns, options)}`);
  return { output: parts.join('') };
}

function table<Row>(rows: Row[], columns: Array<Column<Row>>, options: TableOptions, empty: string): Presented {
  return rows.length === 0 ? { output: '', empty } : { output: renderTable(rows, columns, options) };
}

function presentTable(result: QueryResult, options: TableOptions): Presented {
  switch (result.what) {
    case 'package':
      return presentPackage(result.data, options);
    case 'unresolved':
      return table(result.data, [
        ...versionColumns,
        { header: 'solver', value: (r) => r.solver ?? 'all' },
        { header: 'lacking', value: (r) => r.lacking.join(', ') || null, style: () => 'yellow' },
        { header: 'count', value: (r) => r.count, align: 'right' },
        { header: 'last seen', value: (r) => r.last_seen },
        { header: 'advice', value: (r) => r.advice_waiting || null, align: 'right' },
      ] as Array<Column<UnresolvedReport>>, options, 'no unresolved requests');
    case 'unsolved':
      return table(result.data, [...versionColumns, { header: 'lacking', value: (r) => r.lacking.join(', '), style: () => 'yellow' }] as Array<Column<(typeof result.data)[number]>>, options, 'every known version is solved');
    case 'si-unanalyzed':
      return table(result.data, [...versionColumns, { header: 'si', value: (r) => r.security_indicators }] as Array<Column<(typeof result.data)[number]>>, options, 'no solved version lacks security indicators');
    case 'missing':
      return table(result.data, versionColumns, options, 'no version is flagged missing');
    case 'workflows':
      return table(result.data, workflowColumns, options, 'no workflows match');
    case 'dead-letters':
      return table(result.data, [
        { header: 'topic', value: (d) => d.topic },
        { header: 'partition', value: (d) => d.partition, align: 'right' },
        { header: 'offset', value: (d) => d.offset, align: 'right' },
        { header: 'error', value: (d) => d.error_class, style: () => 'red' },
        { header: 'reason', value: (d) => d.reason },
      ] as Array<Column<DeadLetterReport>>, options, 'no dead letters');
    case 'indexes':
      return table(result.data, [
        { header: 'url', value: (i) => i.url },
        { header: 'versions', value: (i) => i.versions, align: 'right' },
        { header: 'registered', value: (i) => i.registered_at },
      ] as Array<Column<(typeof result.data)[number]>>, options, 'no index is registered (set THOTH_INDEX_URLS)');
    case 'stats': {
      const s = result.data;
      const fields = renderFields([
        ['path', s.path],
        ['schema version', s.schema_version],
        ['size', `${s.size_bytes} bytes (+ ${s.wal_bytes} bytes of WAL)`],
        ['embedded log', `${s.log.topics} topic(s), ${s.log.records} record(s), ${s.log.groups} consumer group(s)`],
      ], options);
      const rows = Object.entries(s.tables).map(([name, count]) => ({ name, count }));
      return { output: `${fields}\n${renderTable(rows, [{ header: 'table', value: (r) => r.name }, { header: 'rows', value: (r) => r.count, align: 'right' }], options)}` };
    }
    case 'sql': {
      const { columns, rows } = result.data;
      return table(rows, columns.map((name) => ({ header: name, value: (row: Record<string, unknown>) => sqlCell(row[name]) })), options, 'no rows');
    }
  }
}

function sqlCell(value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  return String(value);
}

/** JSON documents are built for scripts: BLOBs as base64, nothing else changed. */
function documentOf(result: QueryResult): unknown {
  if (result.what !== 'sql') return result.data;
  return result.data.rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('base64') : typeof v === 'bigint' ? v.toString() : v])));
}

export async function presentQuery(result: QueryResult, format: 'table' | 'json' | 'yaml', options: TableOptions): Promise<Presented> {
  if (format === 'table') return presentTable(result, options);
  return { output: await renderOutput(documentOf(result), format) };
}

/**
 * How `thoth query` prints: a table (or a record's fields) for people, and
 * the documented JSON/YAML for scripts. The JSON is exactly what the store's
 * reports return (field names in src/store/reports.ts and package-report.ts).
 */
import { displayText } from '../core/quote.js';
import { scrubSecrets, withoutCredentials } from '../messages/secrets.js';
import type { QueryResult } from '../services/query.js';
import type { DeadLetterReport, PackageReport, UnresolvedReport, VersionRef, VersionReport, WorkflowReport } from '../store/index.js';
import { renderFields, renderOutput, renderTable, type Column, type TableOptions } from '../ui/table.js';

export interface Presented {
  output: string;
  /** A notice for stderr when there is nothing to show in a table. */
  empty?: string;
}

const versionColumns: Array<Column<VersionRef>> = [
  { header: 'package', value: (r) => r.package_name, truncate: false },
  { header: 'version', value: (r) => r.package_version, truncate: false },
  { header: 'index', value: (r) => r.index_url, dropOrder: 1 },
];

/** To the second: a table has no room for milliseconds. */
const shortTime = (iso: string) => iso.replace(/\.\d+Z$/, 'Z');

/** Solver environments without the common `solver-` prefix, to save width. */
const shortSolvers = (solvers: string[]) => solvers.map((s) => s.replace(/^solver-/, '')).join(', ');

const statusStyle = (status: string) =>
  status === 'Succeeded'
    ? 'green'
    : status === 'Failed' || status === 'Error'
      ? 'red'
      : status === 'Running'
        ? 'cyan'
        : ('yellow' as const);

const workflowColumns: Array<Column<WorkflowReport>> = [
  { header: 'name', value: (w) => w.name, truncate: false },
  { header: 'kind', value: (w) => w.kind, truncate: false },
  { header: 'namespace', value: (w) => w.namespace, truncate: false, dropOrder: 1 },
  { header: 'status', value: (w) => w.status, style: (w) => statusStyle(w.status), truncate: false },
  { header: 'created', value: (w) => shortTime(w.created_at), truncate: false },
  // The topic's last segment names the message type; the full topic is in -o json.
  {
    header: 'source',
    value: (w) => (w.source ? `${w.source.topic.split('.').pop()}[${w.source.partition}]@${w.source.offset}` : null),
    dropOrder: 2,
  },
];

const yesNo = (value: boolean | null) => (value === null ? '?' : value ? 'yes' : 'no');

/** One column per solver environment: solved, error, or `-` where it has no result yet. */
function solverColumn(solver: string): Column<VersionReport> {
  const result = (v: VersionReport) => v.solvers.find((s) => s.solver === solver)?.status;
  return {
    header: solver.replace(/^solver-/, ''),
    value: (v) => result(v) ?? '-',
    style: (v) => (result(v) === 'solved' ? 'green' : result(v) === 'error' ? 'red' : 'yellow'),
  };
}

function packageVersionColumns(versions: VersionReport[], showIndex: boolean): Array<Column<VersionReport>> {
  const solvers = [...new Set(versions.flatMap((v) => [...v.lacking, ...v.solvers.map((s) => s.solver)]))].sort();
  const columns: Array<Column<VersionReport> & { optional?: boolean }> = [
    { header: 'version', value: (v) => v.version, truncate: false },
    ...(showIndex ? [{ header: 'index', value: (v: VersionReport) => v.index_url }] : []),
    ...solvers.map(solverColumn),
    {
      header: 'si',
      value: (v) => v.security_indicators,
      style: (v) => (v.security_indicators === 'done' ? 'green' : v.security_indicators === 'failed' ? 'red' : undefined),
    },
    { header: 'missing', value: (v) => yesNo(v.is_missing), style: (v) => (v.is_missing ? 'red' : undefined) },
    { header: 'sdist', value: (v) => yesNo(v.provides_source_distro), dropOrder: 1 },
    {
      header: 'hashes',
      optional: true,
      dropOrder: 2,
      value: (v) => (v.hashes.length ? `${v.hashes.filter((h) => h.present).length}/${v.hashes.length} present` : null),
    },
    { header: 'cves', optional: true, value: (v) => v.cve_notices.length || null },
    { header: 'requests', optional: true, dropOrder: 3, value: (v) => v.requests.reduce((n, r) => n + r.count, 0) || null },
    {
      header: 'advice waiting',
      optional: true,
      dropOrder: 4,
      value: (v) =>
        v.advice_waiting
          .filter((a) => !a.re_run_published_at)
          .map((a) => a.adviser_id)
          .join(', ') || null,
    },
  ];
  // Columns with nothing to say for any version only cost width.
  return columns.filter((c) => !c.optional || versions.some((v) => c.value(v) !== null));
}

function presentPackage(report: PackageReport, options: TableOptions): Presented {
  if (report.versions.length === 0 && report.workflows.length === 0) return { output: '', empty: `nothing is known of ${report.name}` };
  const indexes = [...new Set(report.versions.map((v) => v.index_url))];
  const where = indexes.length === 1 ? ` on ${indexes[0]}` : '';
  const parts = [`${report.name}${where}: ${report.versions.length} version(s) known\n`];
  if (report.versions.length) parts.push(renderTable(report.versions, packageVersionColumns(report.versions, indexes.length > 1), options));
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
      return table(
        result.data,
        [
          ...versionColumns,
          { header: 'solver', value: (r) => r.solver ?? 'all', dropOrder: 2 },
          { header: 'lacking', value: (r) => shortSolvers(r.lacking) || null, style: () => 'yellow' },
          { header: 'count', value: (r) => r.count, align: 'right' },
          { header: 'last seen', value: (r) => shortTime(r.last_seen), truncate: false, dropOrder: 3 },
          { header: 'advice', value: (r) => r.advice_waiting || null, align: 'right', dropOrder: 4 },
        ] as Array<Column<UnresolvedReport>>,
        options,
        'no unresolved requests',
      );
    case 'unsolved':
      return table(
        result.data,
        [...versionColumns, { header: 'lacking', value: (r) => shortSolvers(r.lacking), style: () => 'yellow' }] as Array<
          Column<(typeof result.data)[number]>
        >,
        options,
        'every known version is solved',
      );
    case 'si-unanalyzed':
      return table(
        result.data,
        [...versionColumns, { header: 'si', value: (r) => r.security_indicators }] as Array<Column<(typeof result.data)[number]>>,
        options,
        'no solved version lacks security indicators',
      );
    case 'missing':
      return table(result.data, versionColumns, options, 'no version is flagged missing');
    case 'workflows':
      return table(result.data, workflowColumns, options, 'no workflows match');
    case 'dead-letters':
      return table(
        result.data,
        [
          { header: 'topic', value: (d) => d.topic },
          { header: 'partition', value: (d) => d.partition, align: 'right', dropOrder: 1 },
          { header: 'offset', value: (d) => d.offset, align: 'right' },
          { header: 'error', value: (d) => d.error_class, style: () => 'red' },
          { header: 'reason', value: (d) => d.reason },
        ] as Array<Column<DeadLetterReport>>,
        options,
        'no dead letters',
      );
    case 'indexes':
      return table(
        result.data,
        [
          { header: 'url', value: (i) => i.url },
          { header: 'versions', value: (i) => i.versions, align: 'right' },
          { header: 'registered', value: (i) => i.registered_at, dropOrder: 1 },
        ] as Array<Column<(typeof result.data)[number]>>,
        options,
        'no index is registered (set THOTH_INDEX_URLS)',
      );
    case 'stats': {
      const s = result.data;
      const fields = renderFields(
        [
          ['path', s.path],
          ['schema version', s.schema_version],
          ['size', `${s.size_bytes} bytes (+ ${s.wal_bytes} bytes of WAL)`],
          ['embedded log', `${s.log.topics} topic(s), ${s.log.records} record(s), ${s.log.groups} consumer group(s)`],
        ],
        options,
      );
      const rows = Object.entries(s.tables).map(([name, count]) => ({ name, count }));
      return {
        output: `${fields}\n${renderTable(
          rows,
          [
            { header: 'table', value: (r) => r.name },
            { header: 'rows', value: (r) => r.count, align: 'right' },
          ],
          options,
        )}`,
      };
    }
    case 'sql': {
      const { columns, rows } = result.data;
      return table(
        rows,
        columns.map((name) => ({ header: name, value: (row: Record<string, unknown>) => sqlCell(row[name]) })),
        options,
        'no rows',
      );
    }
  }
}

function sqlCell(value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  return displayText(value);
}

/** JSON documents are built for scripts: BLOBs as base64, nothing else changed. */
function documentOf(result: QueryResult): unknown {
  // Caches written before dead letters were stored masked still hold the secrets of some.
  if (result.what === 'dead-letters')
    return result.data.map((d) => ({ ...d, reason: withoutCredentials(d.reason), value: scrubSecrets(d.value) }));
  if (result.what !== 'sql') return result.data;
  return result.data.rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('base64') : typeof v === 'bigint' ? v.toString() : v]),
    ),
  );
}

export type QueryFormat = 'table' | 'wide' | 'json' | 'yaml' | 'ndjson' | 'name';

/** `-o name`: what names a row, for the queries whose rows have one (the command offers -o name only for those). */
function namesOf(result: QueryResult): string[] {
  const spec = (r: VersionRef) => `${r.package_name}==${r.package_version}`;
  switch (result.what) {
    case 'unresolved':
    case 'unsolved':
    case 'si-unanalyzed':
    case 'missing':
      return result.data.map(spec);
    case 'workflows':
      return result.data.map((w) => w.name);
    case 'indexes':
      return result.data.map((i) => i.url);
    default:
      throw new Error(`-o name was accepted for query ${result.what}, whose rows have no name`);
  }
}

export async function presentQuery(result: QueryResult, format: QueryFormat, options: TableOptions): Promise<Presented> {
  if (format === 'table' || format === 'wide') return presentTable(result, { ...options, wide: format === 'wide' });
  if (format === 'name')
    return {
      output: namesOf(result)
        .map((name) => `${name}\n`)
        .join(''),
    };
  const document = documentOf(result);
  if (format === 'ndjson')
    return { output: (Array.isArray(document) ? document : [document]).map((row) => `${JSON.stringify(row)}\n`).join('') };
  return { output: await renderOutput(document, format) };
}

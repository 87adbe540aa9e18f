/**
 * The lists behind `thoth query`: unresolved requests, unsolved versions,
 * versions without security indicators, missing versions, the workflow
 * ledger, dead letters and indexes. Field names are the stable JSON of
 * `-o json` (SPEC §6); each list is ordered so that output is stable.
 */
import { ledgerEntry, type WorkflowRow } from './ledger.js';
import type { Prepare } from './statements.js';

export interface WorkflowReport {
  name: string;
  kind: string;
  namespace: string;
  parameters: Record<string, string>;
  status: string;
  created_at: string;
  source: { topic: string; partition: number; offset: number } | null;
}

/** A ledger row in the stable `query workflows -o json` shape (SPEC §6). */
export function workflowReport(row: WorkflowRow): WorkflowReport {
  const entry = ledgerEntry(row);
  return {
    name: entry.name,
    kind: entry.kind,
    namespace: entry.namespace,
    parameters: entry.parameters,
    status: entry.status,
    created_at: entry.createdAt,
    source: entry.source,
  };
}

export interface DeadLetterReport {
  topic: string;
  partition: number;
  offset: number;
  error_class: string;
  reason: string;
  /** As received: the JSON value, or the raw text when it was not JSON; null for an empty record. */
  value: unknown;
}

export interface VersionRef {
  package_name: string;
  package_version: string;
  index_url: string;
}

export interface UnresolvedReport extends VersionRef {
  /** The solver the request named; null for "every solver". */
  solver: string | null;
  first_seen: string;
  last_seen: string;
  count: number;
  lacking: string[];
  advice_waiting: number;
}

export interface ListOptions {
  /** At most this many rows; undefined for all. */
  limit?: number;
}

const limitClause = (options: ListOptions) => (options.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(options.limit))}`);

export function reportFunctions(prepare: Prepare) {
  return {
    /** The solver environments the cache has heard of: those with a result, and those a request named. */
    knownSolvers(): string[] {
      const rows = prepare(
        `SELECT solver FROM solver_results UNION SELECT solver FROM unresolved_requests WHERE solver <> '' ORDER BY 1`,
      ).all() as Array<{ solver: string }>;
      return rows.map((r) => r.solver);
    },
    /** Requests still waiting on a solver result (all of them with `all`), newest first. */
    unresolvedReport(solvers: string[], options: ListOptions & { all?: boolean } = {}): UnresolvedReport[] {
      const rows = prepare(
        `SELECT v.package_name, v.package_version, v.index_url, u.solver, u.first_seen, u.last_seen, u.count,
           (SELECT count(*) FROM advice_waits w JOIN advice_runs r USING (adviser_id) WHERE w.version_id = u.version_id AND r.re_run_published_at IS NULL) AS advice_waiting,
           (SELECT json_group_array(s.solver) FROM solver_results s WHERE s.version_id = u.version_id) AS have
         FROM unresolved_requests u JOIN package_versions v ON v.id = u.version_id
         ORDER BY u.last_seen DESC, v.package_name, v.package_version, u.solver`,
      ).iterate() as IterableIterator<Omit<UnresolvedReport, 'lacking'> & { solver: string; have: string }>;
      const out: UnresolvedReport[] = [];
      for (const { have, ...row } of rows) {
        if (options.limit !== undefined && out.length >= options.limit) break;
        const solved = new Set(JSON.parse(have) as string[]);
        const lacking = (row.solver ? [row.solver] : solvers).filter((s) => !solved.has(s));
        if (lacking.length === 0 && !options.all) continue;
        out.push({ ...row, solver: row.solver || null, lacking });
      }
      return out;
    },
    /** Versions (not flagged missing) with no result from `solver`, or from one of `solvers`. */
    unsolvedReport(solvers: string[], options: ListOptions = {}): Array<VersionRef & { lacking: string[] }> {
      if (solvers.length === 0) return [];
      const list = JSON.stringify(solvers);
      const rows = prepare(
        `SELECT v.package_name, v.package_version, v.index_url,
           (SELECT json_group_array(value) FROM json_each(@wanted) AS wanted
             WHERE NOT EXISTS (SELECT 1 FROM solver_results s WHERE s.version_id = v.id AND s.solver = wanted.value)) AS lacking
         FROM package_versions v
         WHERE v.is_missing = 0
           AND (SELECT count(*) FROM solver_results s WHERE s.version_id = v.id AND s.solver IN (SELECT value FROM json_each(@wanted))) < @count
         ORDER BY v.id${limitClause(options)}`,
      ).all({ wanted: list, count: solvers.length }) as Array<VersionRef & { lacking: string }>;
      return rows.map((r) => ({ ...r, lacking: JSON.parse(r.lacking) as string[] }));
    },
    /** Solved versions whose security indicators are not done and could still be (not missing, sdist not ruled out). */
    siUnanalyzedReport(options: ListOptions = {}): Array<VersionRef & { security_indicators: string }> {
      return prepare(
        `SELECT v.package_name, v.package_version, v.index_url, v.si_state AS security_indicators FROM package_versions v
         WHERE v.si_state <> 'done' AND v.is_missing = 0 AND (v.provides_source_distro IS NULL OR v.provides_source_distro = 1)
           AND EXISTS (SELECT 1 FROM solver_results s WHERE s.version_id = v.id AND s.error = 0)
         ORDER BY v.id${limitClause(options)}`,
      ).all() as Array<VersionRef & { security_indicators: string }>;
    },
    missingReport(options: ListOptions = {}): VersionRef[] {
      return prepare(
        `SELECT package_name, package_version, index_url FROM package_versions WHERE is_missing = 1 ORDER BY package_name, id${limitClause(options)}`,
      ).all() as VersionRef[];
    },
    workflowsReport(filter: { kind?: string; status?: string; since?: string } & ListOptions = {}): WorkflowReport[] {
      const rows = prepare(
        `SELECT * FROM workflows WHERE (@kind IS NULL OR kind = @kind) AND (@status IS NULL OR status = @status) AND (@since IS NULL OR created_at >= @since)
         ORDER BY created_at, rowid${limitClause(filter)}`,
      ).all({ kind: filter.kind ?? null, status: filter.status ?? null, since: filter.since ?? null }) as WorkflowRow[];
      return rows.map(workflowReport);
    },
    /** How many workflows `workflowsReport` would list with this filter. */
    workflowsCount(filter: { kind?: string; status?: string; since?: string } = {}): number {
      const row = prepare(
        `SELECT count(*) AS n FROM workflows WHERE (@kind IS NULL OR kind = @kind) AND (@status IS NULL OR status = @status) AND (@since IS NULL OR created_at >= @since)`,
      ).get({ kind: filter.kind ?? null, status: filter.status ?? null, since: filter.since ?? null }) as { n: number };
      return row.n;
    },
    deadLettersReport(options: ListOptions = {}): DeadLetterReport[] {
      const rows = prepare(
        `SELECT topic, partition, "offset", error_class, reason, value, value_is_json FROM dead_letters ORDER BY created_at, id${limitClause(options)}`,
      ).all() as Array<Omit<DeadLetterReport, 'value'> & { value: string | null; value_is_json: number }>;
      return rows.map(({ value_is_json, value, ...row }) => ({
        ...row,
        value: value !== null && value_is_json ? (JSON.parse(value) as unknown) : value,
      }));
    },
    indexesReport(): Array<{ url: string; registered_at: string; versions: number }> {
      return prepare(
        `SELECT i.url, i.registered_at, (SELECT count(*) FROM package_versions v WHERE v.index_url = i.url) AS versions FROM indexes i ORDER BY i.url`,
      ).all() as Array<{ url: string; registered_at: string; versions: number }>;
    },
  };
}

export type ReportFunctions = ReturnType<typeof reportFunctions>;

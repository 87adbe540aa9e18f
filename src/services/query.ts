/**
 * What `thoth query` asks the knowledge cache (SPEC §6): one request, one
 * read through the store's reports, plain data back for the presenter
 * (src/present/query.ts). The JSON is exactly what the store's reports
 * return (field names in src/store/reports.ts and package-report.ts).
 */
import { choiceRefusal, matchChoice } from '../core/choice.js';
import { UsageError } from '../core/errors.js';
import type {
  DeadLetterReport,
  PackageReport,
  SqlResult,
  Store,
  StoreStats,
  UnresolvedReport,
  VersionRef,
  WorkflowReport,
} from '../store/index.js';

export type QueryRequest =
  | { what: 'package'; name: string; version?: string }
  | { what: 'unresolved'; all: boolean; limit?: number }
  | { what: 'unsolved'; solver?: string; limit?: number }
  | { what: 'si-unanalyzed'; limit?: number }
  | { what: 'missing'; limit?: number }
  | { what: 'workflows'; kind?: string; status?: string; since?: string; limit?: number }
  | { what: 'dead-letters'; limit?: number }
  | { what: 'indexes' }
  | { what: 'stats' }
  | { what: 'sql'; text: string };

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

/**
 * `--solver`: one of THOTH_SOLVERS or of the solvers the cache has heard of, in any case where
 * that names one; anything else would silently answer nothing, so it is refused with the list.
 */
function checkedSolver(value: string, solvers: readonly string[], store: Store): string {
  const valid = [...new Set([...solvers, ...store.knownSolvers()])];
  const found = matchChoice(value, valid);
  if (found === undefined)
    throw new UsageError(`${choiceRefusal('--solver', value, valid)} (THOTH_SOLVERS and the solvers the cache knows)`);
  return found;
}

/** Answers one request; `solvers` are the solver environments that count (THOTH_SOLVERS). */
export function runQuery(store: Store, request: QueryRequest, solvers: readonly string[]): QueryResult {
  const r = request;
  switch (r.what) {
    case 'package':
      return { what: r.what, data: store.packageReport(r.name, r.version, [...solvers]) };
    case 'unresolved':
      return { what: r.what, data: store.unresolvedReport([...solvers], r) };
    case 'unsolved':
      return { what: r.what, data: store.unsolvedReport(r.solver ? [checkedSolver(r.solver, solvers, store)] : [...solvers], r) };
    case 'si-unanalyzed':
      return { what: r.what, data: store.siUnanalyzedReport(r) };
    case 'missing':
      return { what: r.what, data: store.missingReport(r) };
    case 'workflows':
      return { what: r.what, data: store.workflowsReport(r) };
    case 'dead-letters':
      return { what: r.what, data: store.deadLettersReport(r) };
    case 'indexes':
      return { what: r.what, data: store.indexesReport() };
    case 'stats':
      return { what: r.what, data: store.stats() };
    case 'sql':
      return { what: r.what, data: store.sql(r.text) };
  }
}

/**
 * `thoth query package NAME [VERSION]`: everything the cache knows of one
 * package, the one screen an operator wants. Field names are the stable
 * JSON of `-o json`.
 */
import { canonicalVersion } from '../messages/package-spec.js';
import { normalizePackageName } from './names.js';
import type { Prepare } from './statements.js';
import { workflowReport, type WorkflowReport } from './reports.js';
import type { WorkflowRow } from './ledger.js';

export interface SolverResultReport {
  solver: string;
  status: 'solved' | 'error';
  at: string;
}

export interface VersionReport {
  version: string;
  index_url: string;
  first_seen: string;
  is_missing: boolean;
  /** null when not known. */
  provides_source_distro: boolean | null;
  security_indicators: string;
  solvers: SolverResultReport[];
  /** Configured solvers with no result yet. */
  lacking: string[];
  hashes: Array<{ hash: string; present: boolean }>;
  cve_notices: string[];
  requests: Array<{ solver: string | null; first_seen: string; last_seen: string; count: number }>;
  advice_waiting: Array<{ adviser_id: string; recommendation_type: string; re_run_published_at: string | null }>;
}

export interface PackageReport {
  name: string;
  versions: VersionReport[];
  workflows: WorkflowReport[];
}

interface VersionRow {
  id: number;
  package_version: string;
  index_url: string;
  first_seen: string;
  is_missing: number;
  provides_source_distro: number | null;
  si_state: string;
}

export function packageReport(prepare: Prepare, packageName: string, version: string | undefined, solvers: string[]): PackageReport {
  const name = normalizePackageName(packageName);
  const rows = (
    version === undefined
      ? prepare('SELECT * FROM package_versions WHERE package_name = ? ORDER BY id').all(name)
      : prepare('SELECT * FROM package_versions WHERE package_name = ? AND package_version = ? ORDER BY id').all(
          name,
          canonicalVersion(version),
        )
  ) as VersionRow[];
  const versions = rows.map((row): VersionReport => {
    const results = (
      prepare('SELECT solver, error, solved_at FROM solver_results WHERE version_id = ? ORDER BY solver').all(row.id) as Array<{
        solver: string;
        error: number;
        solved_at: string;
      }>
    ).map((r): SolverResultReport => ({ solver: r.solver, status: r.error ? 'error' : 'solved', at: r.solved_at }));
    const have = new Set(results.map((r) => r.solver));
    return {
      version: row.package_version,
      index_url: row.index_url,
      first_seen: row.first_seen,
      is_missing: row.is_missing === 1,
      provides_source_distro: row.provides_source_distro === null ? null : row.provides_source_distro === 1,
      security_indicators: row.si_state,
      solvers: results,
      lacking: solvers.filter((s) => !have.has(s)),
      hashes: (
        prepare('SELECT hash, present FROM hashes WHERE version_id = ? ORDER BY hash').all(row.id) as Array<{
          hash: string;
          present: number;
        }>
      ).map((h) => ({
        hash: h.hash,
        present: h.present === 1,
      })),
      cve_notices: (
        prepare('SELECT received_at FROM cve_notices WHERE version_id = ? ORDER BY received_at').all(row.id) as Array<{
          received_at: string;
        }>
      ).map((c) => c.received_at),
      requests: (
        prepare('SELECT solver, first_seen, last_seen, count FROM unresolved_requests WHERE version_id = ? ORDER BY solver').all(
          row.id,
        ) as Array<{
          solver: string;
          first_seen: string;
          last_seen: string;
          count: number;
        }>
      ).map((r) => ({ ...r, solver: r.solver || null })),
      advice_waiting: prepare(
        `SELECT r.adviser_id, r.recommendation_type, r.re_run_published_at FROM advice_waits w JOIN advice_runs r USING (adviser_id)
         WHERE w.version_id = ? ORDER BY r.adviser_id`,
      ).all(row.id) as VersionReport['advice_waiting'],
    };
  });
  const workflows = (
    version === undefined
      ? prepare('SELECT * FROM workflows WHERE package_name = ? ORDER BY created_at, name').all(name)
      : prepare('SELECT * FROM workflows WHERE package_name = ? AND package_version = ? ORDER BY created_at, name').all(
          name,
          canonicalVersion(version),
        )
  ) as WorkflowRow[];
  return { name, versions, workflows: workflows.map(workflowReport) };
}

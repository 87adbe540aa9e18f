/**
 * What the investigator's decisions read (src/investigate/decisions.ts):
 * which advice runs have no re-run yet, and which versions want security
 * indicators that nothing has started or ruled out. Evaluated against the
 * cache as it stands; the decision's owner evaluates again before acting.
 */
import type { VersionRef } from '../facts/facts.js';
import type { Prepare } from './statements.js';
import { storedKey } from './versions.js';
import type { PackageKey, SecurityIndicatorState } from './types.js';

export interface DecisionQueries {
  /** Advice runs that wait on something and have no re-run published. */
  adviceRunsWithoutReRun(): string[];
  /** The advice runs that wait on the version and have no re-run published (what a fact about it may complete). */
  adviceRunIdsWaitingOn(key: PackageKey): string[];
  /**
   * A version the advice run waits on that no solver has a result for yet, if any (any one: the run is not due while
   * it stands). Remembers the one it found for the run and asks about it first, then about the versions after it, so
   * a run waiting on thousands costs one or a few rows an evaluation, not all of them.
   */
  adviceRunUnsolved(adviserId: string): PackageKey | undefined;
  /** Whether the advice run's re-run was published, undefined when the run is unknown. */
  adviceReRunPublished(adviserId: string): boolean | undefined;
  /**
   * What security indicators for the version depend on, in one read: whether something asks for them (a solver
   * result, or an si-unanalyzed-package request), the version's missing flag, whether it provides a source
   * distribution (null: not known) and their state. `wanted` is false for a version the cache does not know.
   */
  securityIndicatorsFacts(key: PackageKey): {
    wanted: boolean;
    missing: boolean;
    providesSourceDistro: boolean | null;
    state: SecurityIndicatorState['state'];
  };
  /** Versions that want security indicators, have none started or known, and are neither missing nor without sdist. */
  securityIndicatorsCandidates(): VersionRef[];
}

/** The advice runs whose last unsolved version is remembered, at most (a hint: forgetting one costs a scan). */
const UNSOLVED_REMEMBERED = 10_000;

const UNSOLVED_WAITS = `SELECT w.version_id, v.package_name, v.package_version, v.index_url
  FROM advice_waits w JOIN package_versions v ON v.id = w.version_id
  WHERE w.adviser_id = ? AND NOT EXISTS (SELECT 1 FROM solver_results s WHERE s.version_id = w.version_id)`;

interface UnsolvedRow {
  version_id: number;
  package_name: string;
  package_version: string;
  index_url: string;
}

export function decisionQueries(prepare: Prepare): DecisionQueries {
  /** Advice run -> the version id last found unsolved. */
  const unsolvedSeen = new Map<string, number>();
  return {
    adviceRunUnsolved: (adviserId) => {
      const seen = unsolvedSeen.get(adviserId);
      const find = (where: string, id: number) =>
        prepare(`${UNSOLVED_WAITS} AND ${where} ORDER BY w.version_id LIMIT 1`).get(adviserId, id) as UnsolvedRow | undefined;
      // The one found last, else the next after it, else the first before it.
      const row =
        seen === undefined
          ? find('w.version_id > ?', -1)
          : (find('w.version_id = ?', seen) ?? find('w.version_id > ?', seen) ?? find('w.version_id < ?', seen));
      unsolvedSeen.delete(adviserId);
      if (!row) return undefined;
      if (unsolvedSeen.size >= UNSOLVED_REMEMBERED) unsolvedSeen.delete(unsolvedSeen.keys().next().value!);
      unsolvedSeen.set(adviserId, row.version_id);
      return { packageName: row.package_name, packageVersion: row.package_version, indexUrl: row.index_url };
    },
    adviceRunsWithoutReRun: () =>
      (
        prepare(
          `SELECT r.adviser_id FROM advice_runs r WHERE r.re_run_published_at IS NULL
             AND EXISTS (SELECT 1 FROM advice_waits w WHERE w.adviser_id = r.adviser_id) ORDER BY r.adviser_id`,
        ).all() as Array<{ adviser_id: string }>
      ).map((r) => r.adviser_id),
    adviceRunIdsWaitingOn: (key) =>
      (
        prepare(
          `SELECT r.adviser_id FROM package_versions v JOIN advice_waits w ON w.version_id = v.id AND w.run_open = 1
             JOIN advice_runs r USING (adviser_id)
           WHERE v.package_name = ? AND v.package_version = ? AND v.index_url = ? AND r.re_run_published_at IS NULL
           ORDER BY r.created_at, r.adviser_id`,
        ).all(...storedKey(key)) as Array<{ adviser_id: string }>
      ).map((r) => r.adviser_id),
    adviceReRunPublished: (adviserId) => {
      const row = prepare('SELECT re_run_published_at FROM advice_runs WHERE adviser_id = ?').get(adviserId) as
        { re_run_published_at: string | null } | undefined;
      return row === undefined ? undefined : row.re_run_published_at !== null;
    },
    securityIndicatorsFacts: (key) => {
      const [name, version, index] = storedKey(key);
      const row = prepare(
        `SELECT v.is_missing, v.provides_source_distro, v.si_state,
           EXISTS (SELECT 1 FROM facts f WHERE f.package_name = v.package_name AND f.package_version = v.package_version
                     AND f.index_url = v.index_url AND f.kind IN ('solved', 'security-indicators-requested')) AS wanted
         FROM package_versions v WHERE v.package_name = ? AND v.package_version = ? AND v.index_url = ?`,
      ).get(name, version, index) as
        { is_missing: number; provides_source_distro: number | null; si_state: string; wanted: number } | undefined;
      if (!row) return { wanted: false, missing: false, providesSourceDistro: null, state: 'none' };
      return {
        wanted: row.wanted === 1,
        missing: row.is_missing === 1,
        providesSourceDistro: row.provides_source_distro === null ? null : row.provides_source_distro === 1,
        state: row.si_state as SecurityIndicatorState['state'],
      };
    },
    securityIndicatorsCandidates: () =>
      (
        prepare(
          `SELECT v.index_url, v.package_name, v.package_version FROM package_versions v
           WHERE v.si_state = 'none' AND v.is_missing = 0 AND (v.provides_source_distro IS NULL OR v.provides_source_distro = 1)
             AND EXISTS (SELECT 1 FROM facts f WHERE f.package_name = v.package_name AND f.package_version = v.package_version
                           AND f.index_url = v.index_url AND f.kind IN ('solved', 'security-indicators-requested'))
           ORDER BY v.package_name, v.package_version, v.index_url`,
        ).all() as Array<{ index_url: string; package_name: string; package_version: string }>
      ).map((r) => ({ indexUrl: r.index_url, packageName: r.package_name, packageVersion: r.package_version })),
  };
}

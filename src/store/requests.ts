/**
 * Unresolved requests (who asked for knowledge of which version, how often)
 * and the advice runs waiting on them, so that each waiting run is re-run
 * exactly once when everything it waits on is solved.
 */
import { isoNow, type Clock } from '../core/clock.js';
import type { AdviceRun, KnowledgeStore, PackageKey } from './types.js';
import { canonicalTime } from './names.js';
import type { Prepare } from './statements.js';
import { storedKey } from './versions.js';

export type RequestFunctions = Pick<KnowledgeStore, 'recordUnresolved' | 'addAdviceWait' | 'adviceRunsWaitingOn' | 'markReRunPublished'>;

interface WaitRow {
  version_id: number;
  package_name: string;
  package_version: string;
  index_url: string;
}

export function requestFunctions(prepare: Prepare, versionId: (key: PackageKey) => number, clock: Clock): RequestFunctions {
  const findId = (key: PackageKey) =>
    (
      prepare('SELECT id FROM package_versions WHERE package_name = ? AND package_version = ? AND index_url = ?').get(...storedKey(key)) as
        { id: number } | undefined
    )?.id;
  const solversOf = (id: number) =>
    new Set((prepare('SELECT solver FROM solver_results WHERE version_id = ?').all(id) as Array<{ solver: string }>).map((r) => r.solver));
  /** Solved for this purpose: every solver asked has a result; with none asked, any result will do. */
  const isSolvedBy = (id: number, solvers: string[]) => {
    const have = solversOf(id);
    return solvers.length === 0 ? have.size > 0 : solvers.every((s) => have.has(s));
  };

  return {
    recordUnresolved: (key, seenAt, solver) => {
      const at = canonicalTime(seenAt);
      prepare(
        `INSERT INTO unresolved_requests (version_id, solver, first_seen, last_seen, count) VALUES (?, ?, ?, ?, 1)
         ON CONFLICT (version_id, solver) DO UPDATE SET count = count + 1,
           first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`,
      ).run(versionId(key), solver ?? '', at, at);
    },
    addAdviceWait: (adviserId, recommendationType, key) => {
      prepare(
        'INSERT INTO advice_runs (adviser_id, recommendation_type, created_at) VALUES (?, ?, ?) ON CONFLICT (adviser_id) DO NOTHING',
      ).run(adviserId, recommendationType, isoNow(clock));
      prepare('INSERT INTO advice_waits (adviser_id, version_id) VALUES (?, ?) ON CONFLICT DO NOTHING').run(adviserId, versionId(key));
    },
    adviceRunsWaitingOn: (key, solvers) => {
      const id = findId(key);
      if (id === undefined) return [];
      const runs = prepare(
        `SELECT r.adviser_id, r.recommendation_type, r.re_run_published_at FROM advice_waits w JOIN advice_runs r USING (adviser_id)
         WHERE w.version_id = ? AND r.re_run_published_at IS NULL ORDER BY r.created_at, r.adviser_id`,
      ).all(id) as Array<{ adviser_id: string; recommendation_type: string; re_run_published_at: string | null }>;
      return runs.map((run): AdviceRun => {
        const waits = prepare(
          `SELECT w.version_id, v.package_name, v.package_version, v.index_url FROM advice_waits w JOIN package_versions v ON v.id = w.version_id
           WHERE w.adviser_id = ? ORDER BY v.package_name, v.package_version`,
        ).all(run.adviser_id) as WaitRow[];
        return {
          adviserId: run.adviser_id,
          recommendationType: run.recommendation_type,
          waitingOn: waits.map((w) => ({
            packageName: w.package_name,
            packageVersion: w.package_version,
            indexUrl: w.index_url,
            solved: isSolvedBy(w.version_id, solvers),
          })),
          reRunPublishedAt: run.re_run_published_at,
        };
      });
    },
    markReRunPublished: (adviserId, at) =>
      prepare('UPDATE advice_runs SET re_run_published_at = ? WHERE adviser_id = ? AND re_run_published_at IS NULL').run(
        canonicalTime(at),
        adviserId,
      ).changes === 1,
  };
}

/**
 * Unresolved requests (who asked for knowledge of which version, how often)
 * and the advice runs waiting on them, so that each waiting run is re-run
 * exactly once when everything it waits on is solved.
 */
import { isoNow, type Clock } from '../core/clock.js';
import { versionRef, type Fact } from '../facts/facts.js';
import type { AdviceRun, KnowledgeStore } from './types.js';
import { canonicalTime } from './names.js';
import type { Prepare } from './statements.js';

export type RequestFunctions = Pick<KnowledgeStore, 'recordUnresolved' | 'addAdviceWait' | 'adviceRun' | 'markReRunPublished'>;

interface WaitRow {
  version_id: number;
  package_name: string;
  package_version: string;
  index_url: string;
}

export function requestFunctions(prepare: Prepare, clock: Clock, write: (facts: Fact[]) => void): RequestFunctions {
  const solversOf = (id: number) =>
    new Set((prepare('SELECT solver FROM solver_results WHERE version_id = ?').all(id) as Array<{ solver: string }>).map((r) => r.solver));
  /** Solved for this purpose: every solver asked has a result; with none asked, any result will do. */
  const isSolvedBy = (id: number, solvers: string[]) => {
    const have = solversOf(id);
    return solvers.length === 0 ? have.size > 0 : solvers.every((s) => have.has(s));
  };

  const runOf = (
    run: { adviser_id: string; recommendation_type: string; re_run_published_at: string | null },
    solvers: string[],
  ): AdviceRun => {
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
  };

  return {
    adviceRun: (adviserId, solvers) => {
      const run = prepare('SELECT adviser_id, recommendation_type, re_run_published_at FROM advice_runs WHERE adviser_id = ?').get(
        adviserId,
      ) as { adviser_id: string; recommendation_type: string; re_run_published_at: string | null } | undefined;
      return run && runOf(run, solvers);
    },
    // One request per request id (the message that asked): recording it again counts nothing more.
    recordUnresolved: (key, seenAt, solver, request) => {
      const at = canonicalTime(seenAt);
      write([{ kind: 'request', version: versionRef(key), solver: solver ?? null, request: request ?? at, at }]);
    },
    addAdviceWait: (adviserId, recommendationType, key) => {
      const at = isoNow(clock);
      const known = prepare('SELECT 1 FROM advice_runs WHERE adviser_id = ?').get(adviserId) !== undefined;
      write([
        ...(known ? [] : [{ kind: 'advice', adviserId, recommendationType, at } as const]),
        { kind: 'advice-wait', adviserId, recommendationType, version: versionRef(key), at },
      ]);
    },
    markReRunPublished: (adviserId, at) => {
      const run = prepare('SELECT recommendation_type, re_run_published_at FROM advice_runs WHERE adviser_id = ?').get(adviserId) as
        { recommendation_type: string; re_run_published_at: string | null } | undefined;
      if (!run || run.re_run_published_at !== null) return false;
      write([{ kind: 'advice-re-run', adviserId, recommendationType: run.recommendation_type, at: canonicalTime(at) }]);
      return true;
    },
  };
}

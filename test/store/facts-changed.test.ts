/**
 * Facts whose values change (a solver result re-sent, a notice listing other versions, an advice run waited on again)
 * are applied in place where the projection can (src/store/projection.ts): the cache that saw every value must hold
 * exactly the rows of one that saw only the last value of each key, as a compacted knowledge topic gives it, and of
 * the same facts recomputed from scratch.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../scripts/seeded-random.mjs';
import { factKey } from '../../src/facts/codec.js';
import type { Fact } from '../../src/facts/facts.js';
import { openStore } from '../../src/store/index.js';
import { INDEX, tempDbPath } from './temp.js';

const SOLVERS = ['solver-rhel-8-py38', 'solver-fedora-35-py310'];
const ADVISERS = ['adviser-1', 'adviser-2', 'adviser-3'];
/** Only these get a re-run: the others stay open. */
const RE_RUN = ADVISERS.slice(0, 2);

/** A stream of facts over a few keys, so that most of them replace an earlier value, with times that go back too. */
function changingFacts(seed: number, count: number): Fact[] {
  const rand = seededRandom(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)];
  const at = () => `2026-12-08T10:${String(Math.floor(rand() * 60)).padStart(2, '0')}:00.000Z`;
  const versions = ['1.0.0', '1.1.0', '2.0.0'].flatMap((packageVersion) =>
    ['alpha', 'beta'].map((packageName) => ({ indexUrl: INDEX, packageName, packageVersion })),
  );
  const makers: Array<() => Fact> = [
    () => ({ kind: 'version', version: pick(versions), at: at() }),
    () => ({ kind: 'solved', version: pick(versions), solver: pick(SOLVERS), error: rand() < 0.3, at: at() }),
    () => ({ kind: 'hash', version: pick(versions), hash: pick(['sha256:aa', 'sha256:bb']), present: rand() < 0.5, at: at() }),
    () => ({ kind: 'provides-source-distro', version: pick(versions), value: rand() < 0.5, at: at() }),
    () => ({ kind: 'security-indicators', version: pick(versions), state: pick(['scheduled', 'done', 'failed'] as const), at: at() }),
    () => ({ kind: 'security-indicators-requested', version: pick(versions), at: at() }),
    () => ({ kind: 'missing', version: pick(versions), missing: rand() < 0.5, at: at() }),
    () => ({ kind: 'request', version: pick(versions), solver: pick([null, ...SOLVERS]), request: pick(['u[0]@1', 'u[0]@2']), at: at() }),
    () => ({ kind: 'cve', version: pick(versions), notice: pick(['c[0]@1', 'c[0]@2']), at: at() }),
    () => {
      const packageName = pick(['alpha', 'beta']);
      const listed = versions.filter((v) => v.packageName === packageName && rand() < 0.5).map((v) => v.packageVersion);
      return { kind: 'package-missing', indexUrl: INDEX, packageName, versions: listed, at: at() };
    },
    () => ({ kind: 'advice', adviserId: pick(ADVISERS), recommendationType: pick(['latest', 'stable']), at: at() }),
    () => ({
      kind: 'advice-wait',
      adviserId: pick(ADVISERS),
      recommendationType: pick(['latest', 'stable']),
      version: pick(versions),
      at: at(),
    }),
    () => ({ kind: 'advice-re-run', adviserId: pick(RE_RUN), recommendationType: pick(['latest', 'stable']), at: at() }),
  ];
  return Array.from({ length: count }, () => pick(makers)());
}

/** Every row the queries read, with versions named rather than numbered (row ids follow the order of arrival). */
function rows(path: string) {
  const db = new Database(path, { readonly: true });
  const v = 'v.package_name, v.package_version, v.index_url';
  const all = (sql: string) => db.prepare(sql).all();
  const shown = {
    versions: all(`SELECT ${v}, v.is_missing, v.provides_source_distro, v.si_state, v.first_seen FROM package_versions v ORDER BY 1, 2, 3`),
    solved: all(
      `SELECT ${v}, s.solver, s.error, s.solved_at FROM solver_results s JOIN package_versions v ON v.id = s.version_id ORDER BY 1, 2, 3, 4`,
    ),
    hashes: all(
      `SELECT ${v}, h.hash, h.present, h.updated_at FROM hashes h JOIN package_versions v ON v.id = h.version_id ORDER BY 1, 2, 3, 4`,
    ),
    cves: all(`SELECT ${v}, c.received_at FROM cve_notices c JOIN package_versions v ON v.id = c.version_id ORDER BY 1, 2, 3, 4`),
    requests: all(
      `SELECT ${v}, r.solver, r.first_seen, r.last_seen, r.count FROM unresolved_requests r JOIN package_versions v ON v.id = r.version_id ORDER BY 1, 2, 3, 4`,
    ),
    waits: all(
      `SELECT ${v}, w.adviser_id, w.run_open FROM advice_waits w JOIN package_versions v ON v.id = w.version_id ORDER BY 1, 2, 3, 4`,
    ),
    runs: all('SELECT adviser_id, recommendation_type, created_at, re_run_published_at FROM advice_runs ORDER BY 1'),
  };
  db.close();
  return shown;
}

/** The last value of each key, in the order the keys were last written. */
function compacted(facts: Fact[]): Fact[] {
  const last = new Map<string, Fact>();
  for (const fact of facts) {
    last.delete(factKey(fact));
    last.set(factKey(fact), fact);
  }
  return [...last.values()];
}

describe('facts whose values change', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`leave the rows of their last values, in batches of any size (seed ${seed})`, () => {
      const facts = changingFacts(seed, 400);
      const rand = seededRandom(seed * 7);
      const everyValue = tempDbPath();
      const store = openStore(everyValue, { create: true });
      for (let i = 0; i < facts.length;) {
        const size = 1 + Math.floor(rand() * 12);
        store.applyFacts(facts.slice(i, i + size));
        i += size;
      }
      store.close();

      const lastValues = tempDbPath();
      const other = openStore(lastValues, { create: true });
      other.applyFacts(compacted(facts));
      other.close();

      const seen = rows(everyValue);
      expect(seen.versions.length).toBeGreaterThan(0);
      expect(seen.runs.length).toBeGreaterThan(0);
      expect(seen).toEqual(rows(lastValues));
      // A wait is open exactly while its run has no re-run (what finds the runs a version may complete).
      const db = new Database(everyValue, { readonly: true });
      const runs = db.prepare('SELECT adviser_id, re_run_published_at FROM advice_runs').all() as Array<{
        adviser_id: string;
        re_run_published_at: string | null;
      }>;
      const open = new Map(runs.map((r) => [r.adviser_id, r.re_run_published_at === null ? 1 : 0]));
      for (const wait of seen.waits as Array<{ adviser_id: string; run_open: number }>)
        expect(wait.run_open).toBe(open.get(wait.adviser_id));
      expect(runs.some((r) => r.re_run_published_at !== null) && runs.some((r) => r.re_run_published_at === null)).toBe(true);
      db.close();
    });
  }

  it('stop counting a run among those a version may complete once its re-run is published, whichever way it is applied', () => {
    const at = (minute: number) => `2026-12-08T11:${String(minute).padStart(2, '0')}:00.000Z`;
    const version = { indexUrl: INDEX, packageName: 'alpha', packageVersion: '1.0.0' };
    const wait = (adviserId: string, minute: number): Fact => ({
      kind: 'advice-wait',
      adviserId,
      recommendationType: 'latest',
      version,
      at: at(minute),
    });
    const reRun = (adviserId: string, minute: number): Fact => ({
      kind: 'advice-re-run',
      adviserId,
      recommendationType: 'latest',
      at: at(minute),
    });
    const path = tempDbPath();
    const store = openStore(path, { create: true });
    /** The waits as the index of open runs holds them (a wait left open would be read for every fact about the version). */
    const open = () => {
      const db = new Database(path, { readonly: true });
      const waits = db.prepare('SELECT adviser_id FROM advice_waits WHERE run_open = 1 ORDER BY 1').all() as Array<{ adviser_id: string }>;
      db.close();
      return waits.map((r) => r.adviser_id);
    };
    // adviser-1 has its advice fact (its row is brought up to date in place); adviser-2 has only a wait (recomputed).
    store.applyFacts([
      { kind: 'advice', adviserId: 'adviser-1', recommendationType: 'latest', at: at(1) },
      wait('adviser-1', 1),
      wait('adviser-2', 2),
    ]);
    expect(store.adviceRunIdsWaitingOn(version)).toEqual(['adviser-1', 'adviser-2']);
    store.applyFacts([reRun('adviser-1', 3)]);
    expect(store.adviceRunIdsWaitingOn(version)).toEqual(['adviser-2']);
    expect(open()).toEqual(['adviser-2']);
    store.applyFacts([reRun('adviser-2', 4)]);
    expect(store.adviceRunIdsWaitingOn(version)).toEqual([]);
    expect(open()).toEqual([]);
    // A re-run taken back (its fact removed) opens the run again.
    store.applyFactRecords([{ key: factKey(reRun('adviser-1', 3)), value: null }]);
    expect(store.adviceRunIdsWaitingOn(version)).toEqual(['adviser-1']);
    expect(open()).toEqual(['adviser-1']);
    store.close();
  });
});

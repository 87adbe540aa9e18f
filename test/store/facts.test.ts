/**
 * The cache as a projection of its facts (src/store/projection.ts): the same
 * facts in any order give the same cache, applying one twice changes nothing,
 * a tombstone undoes its fact, requests count once per message, and a cache
 * written before facts is carried over as facts.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { encodeFact, factKey } from '../../src/facts/codec.js';
import type { Fact } from '../../src/facts/facts.js';
import { openStore, type Store } from '../../src/store/index.js';
import { migrate } from '../../src/store/migrations.js';
import { projection } from '../../src/store/projection.js';
import { statementCache } from '../../src/store/statements.js';
import { INDEX, key, tempDbPath } from './temp.js';

const AT = (minute: number) => `2026-11-27T12:${String(minute).padStart(2, '0')}:00.000Z`;
const v = (packageVersion: string, packageName = 'requests') => ({ indexUrl: INDEX, packageName, packageVersion });

const FACTS: Fact[] = [
  { kind: 'version', version: v('2.25.1'), at: AT(1) },
  { kind: 'solved', version: v('2.25.1'), solver: 'solver-rhel-8-py38', error: false, at: AT(5) },
  { kind: 'request', version: v('2.25.1'), solver: null, request: 'u[0]@1', at: AT(2) },
  { kind: 'request', version: v('2.25.1'), solver: null, request: 'u[0]@7', at: AT(9) },
  { kind: 'advice', adviserId: 'adviser-1', recommendationType: 'stable', at: AT(2) },
  { kind: 'advice-wait', adviserId: 'adviser-1', recommendationType: 'stable', version: v('2.25.1'), at: AT(2) },
  { kind: 'advice-wait', adviserId: 'adviser-1', recommendationType: 'stable', version: v('1.26.0', 'urllib3'), at: AT(2) },
  { kind: 'package-missing', indexUrl: INDEX, packageName: 'requests', versions: ['2.24.0'], at: AT(3) },
  { kind: 'version', version: v('2.24.0'), at: AT(0) },
  { kind: 'provides-source-distro', version: v('2.24.0'), value: false, at: AT(4) },
  { kind: 'hash', version: v('2.25.1'), hash: 'sha256:aa', present: false, at: AT(6) },
  { kind: 'cve', version: v('2.25.1'), notice: 'c[0]@0', at: AT(7) },
  { kind: 'security-indicators', version: v('2.25.1'), state: 'scheduled', at: AT(8) },
  {
    kind: 'workflow',
    workflow: {
      name: 'solver-requests-2-25-1-x',
      kind: 'solver',
      namespace: 'thoth',
      parameters: { THOTH_SOLVER_NAME: 'solver-rhel-8-py38', THOTH_SOLVER_PACKAGES: 'requests===2.25.1' },
      idempotencyKey: 'k1',
      status: 'Pending',
      source: { topic: 'u', partition: 0, offset: 1 },
      createdAt: AT(2),
      updatedAt: AT(2),
      packageName: 'requests',
      packageVersion: '2.25.1',
      indexUrl: INDEX,
    },
  },
];

const SOLVERS = ['solver-rhel-8-py38', 'solver-fedora-35-py310'];

/** What the queries show: the shape two caches must agree on. */
function shown(store: Store) {
  return {
    requests: store.packageReport('requests', undefined, SOLVERS),
    urllib3: store.packageReport('urllib3', undefined, SOLVERS),
    workflows: store.workflowsReport(),
    unresolved: store.unresolvedReport(SOLVERS, { all: true }),
    missing: store.missingReport(),
    unsolved: store.unsolvedReport(SOLVERS),
    siUnanalyzed: store.siUnanalyzedReport(),
    advice: store.adviceRun('adviser-1', []),
  };
}

const sortedVersions = (report: ReturnType<typeof shown>) => ({
  ...report,
  requests: { ...report.requests, versions: [...report.requests.versions].sort((a, b) => a.version.localeCompare(b.version)) },
  unsolved: [...report.unsolved].sort((a, b) => a.package_version.localeCompare(b.package_version)),
});

describe('the cache as a projection of facts', () => {
  it('holds the same whatever order the facts come in (two partitions read in another order)', () => {
    const forward = openStore(tempDbPath(), { create: true });
    const backward = openStore(tempDbPath(), { create: true });
    forward.applyFacts(FACTS);
    for (const fact of [...FACTS].reverse()) backward.applyFacts([fact]);
    expect(sortedVersions(shown(backward))).toEqual(sortedVersions(shown(forward)));
    expect(shown(forward).requests.versions.find((x) => x.version === '2.25.1')).toMatchObject({
      first_seen: AT(1),
      solvers: [{ solver: 'solver-rhel-8-py38', status: 'solved', at: AT(5) }],
      requests: [{ solver: null, first_seen: AT(2), last_seen: AT(9), count: 2 }],
      security_indicators: 'scheduled',
      hashes: [{ hash: 'sha256:aa', present: false }],
      cve_notices: [AT(7)],
      advice_waiting: [{ adviser_id: 'adviser-1', recommendation_type: 'stable', re_run_published_at: null }],
    });
    expect(shown(forward).requests.versions.find((x) => x.version === '2.24.0')).toMatchObject({
      is_missing: true,
      provides_source_distro: false,
    });
    forward.close();
    backward.close();
  });

  it('changes nothing when a fact is applied again', () => {
    const store = openStore(tempDbPath(), { create: true });
    store.applyFacts(FACTS);
    const once = shown(store);
    store.applyFacts(FACTS);
    expect(shown(store)).toEqual(once);
    expect(store.factCount()).toBe(FACTS.length);
    store.close();
  });

  it('undoes exactly its fact on a tombstone', () => {
    const store = openStore(tempDbPath(), { create: true });
    store.applyFacts(FACTS);
    const solved = FACTS.find((f) => f.kind === 'solved')!;
    store.applyFactRecords([{ key: factKey(solved), value: null }]);
    expect(store.isSolved(key('requests', '2.25.1'), 'solver-rhel-8-py38')).toBe(false);
    expect(store.isVersionKnown(key('requests', '2.25.1'))).toBe(true);
    // Removing every fact about a version removes the version.
    for (const fact of FACTS.filter((f) => f.kind !== 'workflow' && 'version' in f && f.version.packageVersion === '2.24.0'))
      store.applyFactRecords([{ key: factKey(fact), value: null }]);
    expect(store.isVersionKnown(key('requests', '2.24.0'))).toBe(false);
    store.close();
  });

  it('counts a request once per message that made it, however often it is recorded', () => {
    const store = openStore(tempDbPath(), { create: true });
    for (let i = 0; i < 7; i++) store.recordUnresolved(key('requests', '2.25.1'), AT(1), null, 'unresolved[0]@3');
    store.recordUnresolved(key('requests', '2.25.1'), AT(2), null, 'unresolved[0]@4');
    expect(store.packageReport('requests', '2.25.1', SOLVERS).versions[0].requests).toEqual([
      { solver: null, first_seen: AT(1), last_seen: AT(2), count: 2 },
    ]);
    store.close();
  });

  it('keys versions canonically: 2.0, v2.0.0 and 2.0.0 are one version', () => {
    const store = openStore(tempDbPath(), { create: true });
    for (const spelling of ['2.0', 'v2.0.0', '2.0.0']) store.recordSolved(key('Flask', spelling), 'solver-rhel-8-py38');
    expect(store.knownVersions('flask')).toEqual([key('flask', '2.0.0')]);
    expect(store.packageReport('flask', 'V2.0', SOLVERS).versions).toHaveLength(1);
    store.close();
  });

  it('skips a record it cannot read, saying which, and applies the others', () => {
    const store = openStore(tempDbPath(), { create: true });
    const good = encodeFact(FACTS[0]);
    const result = store.applyFactRecords([{ key: good.key, value: '{"v":9}' }, good, { key: null, value: '{}' }]);
    expect(result.applied).toBe(1);
    expect(result.unreadable).toEqual([
      { index: 0, key: good.key, reason: expect.stringContaining('newer thoth') },
      { index: 2, key: null, reason: 'the record has no key' },
    ]);
    expect(store.isVersionKnown(key('requests', '2.25.1'))).toBe(true);
    store.close();
  });

  it('counts a fact it holds already as applied, changing nothing, and still names unreadable records by their place', () => {
    const store = openStore(tempDbPath(), { create: true });
    const held = encodeFact(FACTS[0]);
    store.applyFactRecords([held]);
    const result = store.applyFactRecords([held, { key: held.key, value: '{"v":9}' }, encodeFact(FACTS[1])]);
    expect(result.applied).toBe(2);
    expect(result.unreadable).toEqual([{ index: 1, key: held.key, reason: expect.stringContaining('newer thoth') }]);
    expect(result.touched.versions).toEqual([v('2.25.1')]);
    expect(store.isSolved(key('requests', '2.25.1'), 'solver-rhel-8-py38')).toBe(true);
    store.close();
  });

  it('carries a cache written before facts over: its rows become facts, two spellings of a version meet', () => {
    const path = tempDbPath();
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    migrate(db, 3);
    db.exec(`
      INSERT INTO package_versions (id, package_name, package_version, index_url, is_missing, first_seen) VALUES
        (1, 'flask', '2.0', '${INDEX}', 0, '2024-01-01T00:00:00.000Z'),
        (2, 'flask', '2.0.0', '${INDEX}', 1, '2024-01-02T00:00:00.000Z');
      INSERT INTO solver_results (version_id, solver, error, solved_at) VALUES (1, 'solver-rhel-8-py38', 0, '2024-01-03T00:00:00.000Z');
      INSERT INTO unresolved_requests (version_id, solver, first_seen, last_seen, count) VALUES (2, '', '2024-01-01T00:00:00.000Z', '2024-01-05T00:00:00.000Z', 7);
      INSERT INTO advice_runs (adviser_id, recommendation_type, created_at, re_run_published_at) VALUES ('adviser-1', 'stable', '2024-01-01T00:00:00.000Z', '2024-01-06T00:00:00.000Z');
      INSERT INTO advice_waits (adviser_id, version_id) VALUES ('adviser-1', 1);
    `);
    db.close();
    const store = openStore(path, { create: true });
    expect(store.knownVersions('flask')).toEqual([key('flask', '2.0.0')]);
    const [version] = store.packageReport('flask', '2.0.0', SOLVERS).versions;
    expect(version).toMatchObject({
      is_missing: true,
      solvers: [{ solver: 'solver-rhel-8-py38' }],
      requests: [{ solver: null, count: 7, first_seen: '2024-01-01T00:00:00.000Z', last_seen: '2024-01-05T00:00:00.000Z' }],
      advice_waiting: [{ adviser_id: 'adviser-1', re_run_published_at: '2024-01-06T00:00:00.000Z' }],
    });
    // What `thoth cache rebuild` would publish.
    expect(
      store
        .factRecords(null, 100)
        .map((f) => (JSON.parse(f.key) as string[])[0])
        .sort(),
    ).toEqual(['advice', 'advice-re-run', 'advice-wait', 'missing', 'request', 'solved', 'version'].sort());
    store.close();
  });
});

/** Every row of the projected tables, versions by name (their ids depend on the order they came in). */
function projectedRows(path: string) {
  const db = new Database(path, { readonly: true });
  const named = (table: string, columns: string) =>
    db
      .prepare(
        `SELECT v.package_name, v.package_version, v.index_url, ${columns} FROM ${table} t JOIN package_versions v ON v.id = t.version_id`,
      )
      .all()
      .map((row) => JSON.stringify(row))
      .sort();
  const rows = {
    versions: db
      .prepare(
        'SELECT package_name, package_version, index_url, is_missing, provides_source_distro, si_state, first_seen FROM package_versions',
      )
      .all()
      .map((row) => JSON.stringify(row))
      .sort(),
    solvers: named('solver_results', 't.solver, t.error, t.solved_at'),
    hashes: named('hashes', 't.hash, t.present, t.updated_at'),
    cves: named('cve_notices', 't.received_at'),
    requests: named('unresolved_requests', 't.solver, t.first_seen, t.last_seen, t.count'),
    waits: named('advice_waits', 't.adviser_id'),
    advice: db
      .prepare('SELECT * FROM advice_runs')
      .all()
      .map((row) => JSON.stringify(row))
      .sort(),
    workflows: db
      .prepare('SELECT * FROM workflows')
      .all()
      .map((row) => JSON.stringify(row))
      .sort(),
  };
  db.close();
  return rows;
}

/** A small deterministic generator (the same run every time, so a failure can be replayed). */
function random(seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  return { next, pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] };
}

describe('the cache as a projection of facts: facts added one by one hold what recomputing from all of them holds', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])('random facts, changes and tombstones in random batches (seed %i)', (seed) => {
    const r = random(seed);
    const versions = Array.from({ length: 20 }, (_, i) => `1.${i}.0`).flatMap((ver) => [v(ver), v(ver, 'urllib3')]);
    const solvers = ['solver-rhel-8-py38', 'solver-fedora-35-py310'];
    const at = () => AT(Math.floor(r.next() * 60));
    // Each batch is about two versions (facts of one version in one batch, new versions now and then).
    let about: Array<(typeof versions)[number]> = [];
    const fact = (): Fact => {
      const version = r.pick(about);
      switch (
        r.pick(['version', 'solved', 'request', 'hash', 'cve', 'sdist', 'si', 'si-requested', 'missing', 'notice', 'wait', 'workflow'])
      ) {
        case 'version':
          return { kind: 'version', version, at: at() };
        case 'solved':
          return { kind: 'solved', version, solver: r.pick(solvers), error: r.next() < 0.3, at: at() };
        case 'request':
          return { kind: 'request', version, solver: r.pick([null, ...solvers]), request: `u[0]@${Math.floor(r.next() * 100)}`, at: at() };
        case 'hash':
          return { kind: 'hash', version, hash: r.pick(['sha256:aa', 'sha256:bb']), present: r.next() < 0.5, at: at() };
        case 'cve':
          return { kind: 'cve', version, notice: `c[0]@${Math.floor(r.next() * 4)}`, at: at() };
        case 'sdist':
          return { kind: 'provides-source-distro', version, value: r.next() < 0.5, at: at() };
        case 'si':
          return { kind: 'security-indicators', version, state: r.pick(['scheduled', 'done', 'failed'] as const), at: at() };
        case 'si-requested':
          return { kind: 'security-indicators-requested', version, at: at() };
        case 'missing':
          return { kind: 'missing', version, missing: r.next() < 0.5, at: at() };
        case 'notice':
          return {
            kind: 'package-missing',
            indexUrl: INDEX,
            packageName: version.packageName,
            versions: versions.filter((x) => x.packageName === version.packageName && r.next() < 0.5).map((x) => x.packageVersion),
            at: at(),
          };
        case 'wait':
          return { kind: 'advice-wait', adviserId: r.pick(['adviser-1', 'adviser-2']), recommendationType: 'stable', version, at: at() };
        default: {
          const name = `solver-${version.packageName}-${Math.floor(r.next() * 3)}`;
          return {
            kind: 'workflow',
            workflow: {
              name,
              kind: 'solver',
              namespace: 'thoth',
              parameters: { THOTH_SOLVER_PACKAGES: `${version.packageName}===${version.packageVersion}` },
              idempotencyKey: name,
              status: r.pick(['recorded', 'Pending', 'Succeeded'] as const),
              source: null,
              createdAt: AT(1),
              updatedAt: at(),
              packageName: version.packageName,
              packageVersion: version.packageVersion,
              indexUrl: INDEX,
            },
          };
        }
      }
    };
    const path = tempDbPath();
    const store = openStore(path, { create: true });
    const written: string[] = [];
    for (let batch = 0; batch < 60; batch++) {
      about = [r.pick(versions), r.pick(versions)];
      const records = Array.from({ length: 1 + Math.floor(r.next() * 10) }, () => {
        // Now and then a tombstone of a fact written before.
        if (written.length > 0 && r.next() < 0.15) return { key: r.pick(written), value: null };
        const record = encodeFact(fact());
        written.push(record.key);
        return record;
      });
      store.transaction(() => store.applyFactRecords(records));
    }
    store.close();
    const added = projectedRows(path);
    expect(added.versions.length).toBeGreaterThan(0);

    const db = new Database(path);
    db.transaction(() => projection(statementCache(db)).rebuild())();
    db.close();
    expect(added).toEqual(projectedRows(path));
  });
});

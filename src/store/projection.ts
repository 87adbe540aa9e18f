/**
 * The cache as a projection of its facts (SPEC §5.1). The `facts` table holds
 * every fact read (key -> value, as on the knowledge topic); the tables that
 * `thoth query` and the handlers read (package_versions, solver_results,
 * unresolved_requests, advice_runs, workflows, ...) are recomputed from the
 * facts of each thing a fact touches. So applying a fact twice changes
 * nothing, a tombstone undoes exactly its fact, and two caches that read the
 * same facts in any order across keys hold the same rows.
 */
import { decodeFact, factKey, type DecodedFact } from '../facts/codec.js';
import { adviserOf, mayCompleteDecision, versionOf, type Fact, type VersionRef, type WorkflowEntry } from '../facts/facts.js';
import type { Prepare } from './statements.js';

/**
 * What a batch of facts touched: the things whose decisions may have become due (a version only for a fact that can
 * complete one: mayCompleteDecision, src/facts/facts.ts; or one that changed or removed another).
 */
export interface Touched {
  versions: VersionRef[];
  adviserIds: string[];
  workflows: string[];
}

export interface AppliedFacts {
  applied: number;
  touched: Touched;
}

/** A version's row as a fact added to it left it. */
interface VersionRow {
  id: number;
  first_seen: string;
}

/** A fact that can be about a version (a workflow's is filed under its name). */
type VersionFact = Exclude<Fact, { kind: 'workflow' }>;

type Stored = { outcome: 'new' } | { outcome: 'same' } | { outcome: 'changed'; previousAt: string };
const NEW: Stored = { outcome: 'new' };
const SAME: Stored = { outcome: 'same' };

/**
 * The kinds whose own row a newer value simply replaces (one fact a version, or a version and a solver or hash): a
 * changed one is applied like a new one, unless it held the version's first time. (A missing fact's flag is then
 * recomputed from it and the notices alone.)
 */
const REPLACED_IN_PLACE: ReadonlySet<Fact['kind']> = new Set([
  'version',
  'missing',
  'provides-source-distro',
  'security-indicators',
  'security-indicators-requested',
  'solved',
  'hash',
]);

/** A package-missing notice as the cache holds it: when, and the versions it lists. */
interface Notice {
  at: string;
  versions: ReadonlySet<string>;
}

/** A fact of an advice run stored by one apply; `previousAt` when it replaced another value. */
interface AdviceChange {
  fact: Extract<Fact, { kind: 'advice' | 'advice-wait' | 'advice-re-run' }>;
  previousAt?: string;
}

interface FactRow {
  kind: string;
  subject: string | null;
  value: string;
  at: string;
}

/** A package-missing notice's subject: the package on its index. */
const noticeSubject = (v: { indexUrl: string; packageName: string }) => JSON.stringify([v.indexUrl, v.packageName]);

const refKey = (v: VersionRef) => JSON.stringify([v.indexUrl, v.packageName, v.packageVersion]);

/** The columns a fact is filed under: its version (if any) and one more name (solver, hash, adviser, workflow, ...). */
function columns(fact: Fact): { version?: VersionRef; subject: string | null; at: string } {
  switch (fact.kind) {
    case 'package-missing':
      return { subject: noticeSubject(fact), at: fact.at };
    case 'advice':
    case 'advice-re-run':
      return { subject: fact.adviserId, at: fact.at };
    case 'advice-wait':
      return { version: fact.version, subject: fact.adviserId, at: fact.at };
    case 'workflow':
      return { subject: fact.workflow.name, at: fact.workflow.updatedAt };
    case 'solved':
      return { version: fact.version, subject: fact.solver, at: fact.at };
    case 'hash':
      return { version: fact.version, subject: fact.hash, at: fact.at };
    case 'cve':
      return { version: fact.version, subject: fact.notice, at: fact.at };
    case 'request':
      return { version: fact.version, subject: fact.solver ?? '', at: fact.at };
    default:
      return { version: fact.version, subject: null, at: fact.at };
  }
}

export function projection(prepare: Prepare) {
  /**
   * Stores the fact: 'new' (no fact had its key), 'changed' (its value replaced another, stored at `previousAt`), 'same'
   * (the cache held this very value).
   */
  const storeFact = (key: string, fact: Fact, value: string): Stored => {
    const { version, subject, at } = columns(fact);
    const inserted = prepare(
      `INSERT INTO facts (key, kind, index_url, package_name, package_version, subject, value, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (key) DO NOTHING`,
    ).run(key, fact.kind, version?.indexUrl ?? null, version?.packageName ?? null, version?.packageVersion ?? null, subject, value, at);
    if (inserted.changes > 0) return NEW;
    const held = prepare('SELECT value, at FROM facts WHERE key = ?').get(key) as { value: string; at: string };
    if (held.value === value) return SAME;
    prepare('UPDATE facts SET value = ?, at = ? WHERE key = ?').run(value, at, key);
    return { outcome: 'changed', previousAt: held.at };
  };

  /** The facts about the version the cache holds (only readable facts are ever stored; workflow facts are filed under none). */
  const versionFacts = (v: VersionRef): VersionFact[] =>
    (
      prepare('SELECT key, value FROM facts WHERE package_name = ? AND package_version = ? AND index_url = ?').all(
        v.packageName,
        v.packageVersion,
        v.indexUrl,
      ) as Array<{ key: string; value: string }>
    ).flatMap((row) => {
      const decoded = decodeFact(row);
      return decoded.type === 'fact' && decoded.fact.kind !== 'workflow' ? [decoded.fact] : [];
    });

  const versionIdOf = (v: VersionRef) =>
    (
      prepare('SELECT id FROM package_versions WHERE package_name = ? AND package_version = ? AND index_url = ?').get(
        v.packageName,
        v.packageVersion,
        v.indexUrl,
      ) as { id: number } | undefined
    )?.id;

  const dropVersion = (id: number) => {
    for (const table of ['solver_results', 'hashes', 'cve_notices', 'unresolved_requests', 'advice_waits'])
      prepare(`DELETE FROM ${table} WHERE version_id = ?`).run(id);
    prepare('DELETE FROM package_versions WHERE id = ?').run(id);
  };

  /** The notices read by this apply (or rebuild), by subject; a notice stored or removed is forgotten. */
  let notices = new Map<string, Notice | null>();
  const noticeOf = (subject: string): Notice | null => {
    let notice = notices.get(subject);
    if (notice === undefined) {
      const row = prepare(`SELECT value, at FROM facts WHERE kind = 'package-missing' AND subject = ?`).get(subject) as
        { value: string; at: string } | undefined;
      notice = row ? { at: row.at, versions: new Set((JSON.parse(row.value) as { versions: string[] }).versions) } : null;
      notices.set(subject, notice);
    }
    return notice;
  };
  const listedAt = (v: VersionRef): string | undefined => {
    const notice = noticeOf(noticeSubject(v));
    return notice?.versions.has(v.packageVersion) ? notice.at : undefined;
  };

  /** Missing: the latest statement about it wins (a missing fact, or a package-missing notice that listed it); a tie says missing. */
  const isMissing = (v: VersionRef, facts: ReadonlyArray<Fact>): boolean => {
    const statements: Array<[string, boolean]> = [];
    for (const fact of facts) if (fact.kind === 'missing') statements.push([fact.at, fact.missing]);
    const listed = listedAt(v);
    if (listed !== undefined) statements.push([listed, true]);
    if (statements.length === 0) return false;
    statements.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : Number(x) - Number(y)));
    return statements[statements.length - 1][1];
  };

  /** Recomputes only the version's missing flag (what a notice that lists it, or stopped listing it, changes): whether it changed. */
  const refreshMissing = (v: VersionRef): boolean => {
    const stored = prepare('SELECT key, value FROM facts WHERE key = ?').get(
      factKey({ kind: 'missing', version: v, missing: true, at: '' }),
    ) as { key: string; value: string } | undefined;
    const decoded = stored && decodeFact(stored);
    const facts = decoded?.type === 'fact' ? [decoded.fact] : [];
    const missing = isMissing(v, facts) ? 1 : 0;
    return (
      prepare(
        'UPDATE package_versions SET is_missing = ? WHERE package_name = ? AND package_version = ? AND index_url = ? AND is_missing IS NOT ?',
      ).run(missing, v.packageName, v.packageVersion, v.indexUrl, missing).changes > 0
    );
  };

  /**
   * The row a fact of the version adds to its kind's table (version `id`), the same whether the fact is new to
   * the cache or the version is recomputed from all its facts: requests of one solver add up into one row.
   */
  const addFactRow = (id: number, fact: Fact): void => {
    switch (fact.kind) {
      case 'solved':
        prepare(
          `INSERT INTO solver_results (version_id, solver, error, solved_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (version_id, solver) DO UPDATE SET error = excluded.error, solved_at = excluded.solved_at`,
        ).run(id, fact.solver, fact.error ? 1 : 0, fact.at);
        break;
      case 'hash':
        prepare(
          `INSERT INTO hashes (version_id, hash, present, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (version_id, hash) DO UPDATE SET present = excluded.present, updated_at = excluded.updated_at`,
        ).run(id, fact.hash, fact.present ? 1 : 0, fact.at);
        break;
      case 'cve':
        prepare('INSERT INTO cve_notices (version_id, received_at) VALUES (?, ?) ON CONFLICT DO NOTHING').run(id, fact.at);
        break;
      case 'request':
        prepare(
          `INSERT INTO unresolved_requests (version_id, solver, first_seen, last_seen, count) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (version_id, solver) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen),
             last_seen = max(last_seen, excluded.last_seen), count = count + excluded.count`,
        ).run(id, fact.solver ?? '', fact.at, fact.lastAt ?? fact.at, fact.count ?? 1);
        break;
      default:
        break;
    }
  };

  /**
   * A fact new to the cache whose rows follow from it alone: its version's row (created, or its first time and the
   * column the fact sets) and the fact's own row, what recomputing the version from all its facts would give. An
   * advice wait's own row refers to its run's, so the caller adds it once the runs are up to date; a missing fact's
   * flag depends on the notices too, so the caller recomputes it (`refreshMissing`).
   */
  const addToVersion = (v: VersionRef, fact: Fact, rows: Map<string, VersionRow>): boolean => {
    if (fact.kind === 'workflow' || !('version' in fact)) return false;
    const key = refKey(v);
    let row = rows.get(key);
    // The row written for an earlier fact of these records stands unless this one sets a column or an earlier time.
    if (!row || fact.at < row.first_seen || fact.kind === 'provides-source-distro' || fact.kind === 'security-indicators') {
      row = prepare(
        `INSERT INTO package_versions (package_name, package_version, index_url, is_missing, provides_source_distro, si_state, first_seen)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (package_name, package_version, index_url) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen),
           provides_source_distro = coalesce(excluded.provides_source_distro, provides_source_distro),
           si_state = CASE WHEN excluded.si_state = 'none' THEN si_state ELSE excluded.si_state END
         RETURNING id, first_seen`,
      ).get(
        v.packageName,
        v.packageVersion,
        v.indexUrl,
        // A version new to the cache has no missing fact (that kind is recomputed): only a notice can list it.
        listedAt(v) === undefined ? 0 : 1,
        fact.kind === 'provides-source-distro' ? (fact.value ? 1 : 0) : null,
        fact.kind === 'security-indicators' ? fact.state : 'none',
        fact.at,
      ) as VersionRow;
      rows.set(key, row);
    }
    addFactRow(row.id, fact);
    return true;
  };

  /** A version the advice run waits on (its run's row first): open while the run has no re-run. */
  const insertWait = (adviserId: string, versionId: number) =>
    prepare(
      `INSERT INTO advice_waits (adviser_id, version_id, run_open)
       VALUES (?, ?, (SELECT re_run_published_at IS NULL FROM advice_runs WHERE adviser_id = ?)) ON CONFLICT DO NOTHING`,
    ).run(adviserId, versionId, adviserId);

  /** The advice run's waits follow its re-run: open while there is none. */
  const openWaits = (adviserId: string, reRunAt: string | null) => {
    const open = reRunAt === null ? 1 : 0;
    prepare('UPDATE advice_waits SET run_open = ? WHERE adviser_id = ? AND run_open IS NOT ?').run(open, adviserId, open);
  };

  /** The advice run: its recommendation type (the run's own fact, else its re-run's, else a wait's), first time, re-run time. */
  const refreshAdvice = (adviserId: string) => {
    const rows = prepare(
      `SELECT kind, subject, value, at FROM facts WHERE subject = ? AND kind IN ('advice', 'advice-wait', 'advice-re-run') ORDER BY key`,
    ).all(adviserId) as FactRow[];
    if (rows.length === 0) {
      prepare('DELETE FROM advice_waits WHERE adviser_id = ?').run(adviserId);
      prepare('DELETE FROM advice_runs WHERE adviser_id = ?').run(adviserId);
      return;
    }
    const typeOf = (row: FactRow | undefined) =>
      row ? (JSON.parse(row.value) as { recommendation_type: string }).recommendation_type : undefined;
    const run = rows.find((r) => r.kind === 'advice');
    const reRun = rows.find((r) => r.kind === 'advice-re-run');
    const wait = rows.find((r) => r.kind === 'advice-wait');
    const createdAt = rows
      .filter((r) => r.kind !== 'advice-re-run')
      .reduce((min: string | null, r) => (min === null || r.at < min ? r.at : min), null);
    prepare(
      `INSERT INTO advice_runs (adviser_id, recommendation_type, created_at, re_run_published_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (adviser_id) DO UPDATE SET recommendation_type = excluded.recommendation_type, created_at = excluded.created_at,
         re_run_published_at = excluded.re_run_published_at`,
    ).run(adviserId, typeOf(run) ?? typeOf(reRun) ?? typeOf(wait) ?? 'latest', createdAt ?? reRun!.at, reRun?.at ?? null);
    openWaits(adviserId, reRun?.at ?? null);
  };

  /** The advice runs without a re-run that wait on the version (by id): the decisions its rows going may complete. */
  const openRunsWaitingOn = (versionId: number) =>
    (
      prepare('SELECT adviser_id FROM advice_waits WHERE version_id = ? AND run_open = 1').all(versionId) as Array<{ adviser_id: string }>
    ).map((r) => r.adviser_id);

  /**
   * Recomputes the version's rows from all its facts. An advice run it waits on needs its row first (advice_waits
   * refers to it): one the cache has not got is computed (and added to `refreshed`); one it has is left to the caller.
   */
  const refreshVersion = (v: VersionRef, advisers: Set<string>, refreshed: Set<string>) => {
    const facts = versionFacts(v);
    const existing = versionIdOf(v);
    if (facts.length === 0) {
      if (existing !== undefined) {
        for (const adviserId of openRunsWaitingOn(existing)) advisers.add(adviserId);
        dropVersion(existing);
      }
      return;
    }
    const firstSeen = facts.reduce((min, f) => (f.at < min ? f.at : min), facts[0].at);
    let sdist: boolean | undefined;
    let si: string | undefined;
    for (const fact of facts) {
      if (fact.kind === 'provides-source-distro') sdist ??= fact.value;
      if (fact.kind === 'security-indicators') si ??= fact.state;
    }
    const id = (
      prepare(
        `INSERT INTO package_versions (package_name, package_version, index_url, is_missing, provides_source_distro, si_state, first_seen)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (package_name, package_version, index_url) DO UPDATE SET is_missing = excluded.is_missing,
           provides_source_distro = excluded.provides_source_distro, si_state = excluded.si_state, first_seen = excluded.first_seen
         RETURNING id`,
      ).get(
        v.packageName,
        v.packageVersion,
        v.indexUrl,
        isMissing(v, facts) ? 1 : 0,
        sdist === undefined ? null : sdist ? 1 : 0,
        si ?? 'none',
        firstSeen,
      ) as { id: number }
    ).id;

    // A version new to the cache has no rows of its own yet (dropVersion removes them with their version).
    if (existing !== undefined) {
      prepare('DELETE FROM solver_results WHERE version_id = ?').run(id);
      prepare('DELETE FROM hashes WHERE version_id = ?').run(id);
      prepare('DELETE FROM cve_notices WHERE version_id = ?').run(id);
      prepare('DELETE FROM unresolved_requests WHERE version_id = ?').run(id);
      for (const adviserId of openRunsWaitingOn(id)) advisers.add(adviserId);
      prepare('DELETE FROM advice_waits WHERE version_id = ?').run(id);
    }

    for (const fact of facts) {
      if (fact.kind === 'advice-wait') {
        if (!refreshed.has(fact.adviserId) && prepare('SELECT 1 FROM advice_runs WHERE adviser_id = ?').get(fact.adviserId) === undefined) {
          refreshAdvice(fact.adviserId);
          refreshed.add(fact.adviserId);
        }
        insertWait(fact.adviserId, id);
        advisers.add(fact.adviserId);
      } else addFactRow(id, fact);
    }
  };

  /** The workflow's row from its fact (`entry`: the one just stored, else the stored one is read); the version it is about, if any. */
  const refreshWorkflow = (name: string, entry?: WorkflowEntry): VersionRef | undefined => {
    let w = entry;
    if (w === undefined) {
      const stored = prepare(`SELECT key, value FROM facts WHERE kind = 'workflow' AND subject = ?`).get(name) as
        { key: string; value: string } | undefined;
      const decoded = stored && decodeFact(stored);
      if (decoded?.type === 'fact' && decoded.fact.kind === 'workflow') w = decoded.fact.workflow;
    }
    if (w === undefined) {
      prepare('DELETE FROM workflows WHERE name = ?').run(name);
      return undefined;
    }
    prepare(
      `INSERT INTO workflows (name, kind, namespace, parameters, idempotency_key, status, source_topic, source_partition, source_offset,
         created_at, updated_at, package_name, package_version, index_url)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, namespace = excluded.namespace, parameters = excluded.parameters,
         idempotency_key = excluded.idempotency_key, status = excluded.status, source_topic = excluded.source_topic,
         source_partition = excluded.source_partition, source_offset = excluded.source_offset, created_at = excluded.created_at,
         updated_at = excluded.updated_at, package_name = excluded.package_name, package_version = excluded.package_version,
         index_url = excluded.index_url`,
    ).run(
      name,
      w.kind,
      w.namespace,
      JSON.stringify(w.parameters),
      w.idempotencyKey,
      w.status,
      w.source?.topic ?? null,
      w.source?.partition ?? null,
      w.source?.offset ?? null,
      w.createdAt,
      w.updatedAt,
      w.packageName ?? null,
      w.packageVersion ?? null,
      w.indexUrl ?? null,
    );
    return versionOf({ kind: 'workflow', workflow: w });
  };

  /** Versions a package-missing notice lists (a fact stored, or the one a tombstone removes). */
  const noticeVersions = (subject: string): VersionRef[] => {
    const notice = noticeOf(subject);
    if (!notice) return [];
    const [indexUrl, packageName] = JSON.parse(subject) as [string, string];
    return [...notice.versions].map((packageVersion) => ({ indexUrl, packageName, packageVersion }));
  };

  /**
   * The versions whose missing flag a notice may change, against the one it replaces (`replaced`, its versions): those
   * it lists or listed but not both, and those a missing fact states something about (the later statement wins). A
   * version listed by both and by no missing fact stays missing: a notice sent again, listing every version of a
   * package as the last did, costs one read of the package's missing facts, not a row for each version.
   */
  const noticeChanges = (fact: Extract<Fact, { kind: 'package-missing' }>, replaced: ReadonlySet<string>): VersionRef[] => {
    const { indexUrl, packageName } = fact;
    const listed = new Set(fact.versions);
    const stated = new Set(
      (
        prepare(`SELECT package_version FROM facts WHERE package_name = ? AND index_url = ? AND kind = 'missing'`).all(
          packageName,
          indexUrl,
        ) as Array<{
          package_version: string;
        }>
      ).map((r) => r.package_version),
    );
    const changes: VersionRef[] = [];
    for (const packageVersion of new Set([...replaced, ...listed]))
      if (replaced.has(packageVersion) !== listed.has(packageVersion) || stated.has(packageVersion))
        changes.push({ indexUrl, packageName, packageVersion });
    return changes;
  };

  /**
   * A changed fact applied in place, as a new one is (`addToVersion`), when its kind's row takes the newer value and
   * the version's first time stands: the old value's time was later than it. False: the version is recomputed.
   */
  const changeInVersion = (v: VersionRef, fact: Fact, previousAt: string, rows: Map<string, VersionRow>): boolean => {
    if (!REPLACED_IN_PLACE.has(fact.kind)) return false;
    const key = refKey(v);
    let row = rows.get(key);
    if (!row) {
      row = prepare('SELECT id, first_seen FROM package_versions WHERE package_name = ? AND package_version = ? AND index_url = ?').get(
        v.packageName,
        v.packageVersion,
        v.indexUrl,
      ) as VersionRow | undefined;
      if (!row) return false;
      rows.set(key, row);
    }
    return previousAt > row.first_seen && addToVersion(v, fact, rows);
  };

  /**
   * The advice run's row brought up to date with facts of it stored here (none new to it is an `advice` fact), as
   * `refreshAdvice` would leave it; false when that needs all its facts: no row or no `advice` fact yet (the type then
   * comes from a re-run or a wait), or a changed fact whose old time was the run's first.
   */
  const updateAdvice = (adviserId: string, changes: AdviceChange[]): boolean => {
    const row = prepare('SELECT recommendation_type, created_at, re_run_published_at FROM advice_runs WHERE adviser_id = ?').get(
      adviserId,
    ) as { recommendation_type: string; created_at: string; re_run_published_at: string | null } | undefined;
    if (!row || prepare(`SELECT 1 FROM facts WHERE kind = 'advice' AND subject = ?`).get(adviserId) === undefined) return false;
    let { recommendation_type: type, created_at: createdAt, re_run_published_at: reRunAt } = row;
    for (const { fact, previousAt } of changes) {
      if (fact.kind === 'advice-re-run') {
        reRunAt = fact.at;
        continue;
      }
      if (previousAt !== undefined && previousAt <= createdAt) return false;
      if (fact.at < createdAt) createdAt = fact.at;
      if (fact.kind === 'advice') type = fact.recommendationType;
    }
    prepare('UPDATE advice_runs SET recommendation_type = ?, created_at = ?, re_run_published_at = ? WHERE adviser_id = ?').run(
      type,
      createdAt,
      reRunAt,
      adviserId,
    );
    if ((reRunAt === null) !== (row.re_run_published_at === null)) openWaits(adviserId, reRunAt);
    return true;
  };

  /**
   * Applies decoded facts and tombstones (the caller's transaction), then recomputes what they touched. A fact new
   * to the cache adds its own rows (`addToVersion`), and so does a changed one whose row takes the newer value
   * (`changeInVersion`); a version a fact removed or cannot simply add to is recomputed from all its facts once,
   * after the last record. A notice only sets the missing flag of the versions it lists or listed (touched when it changed).
   */
  const apply = (records: DecodedFact[]): AppliedFacts => {
    notices = new Map();
    /** Every version touched (the decisions to look at again); `recompute`: those whose rows are rebuilt. */
    const versions = new Map<string, VersionRef>();
    const recompute = new Map<string, VersionRef>();
    /** Versions a notice lists or listed, or a missing fact is about: their missing flag is recomputed (unless the whole version is). */
    const noticed = new Map<string, VersionRef>();
    const advisers = new Set<string>();
    /** The advice runs' facts stored here, or 'all' when the run is recomputed from all its facts. */
    const adviceChanges = new Map<string, AdviceChange[] | 'all'>();
    const changeAdvice = (adviserId: string, change: AdviceChange | 'all') => {
      const known = adviceChanges.get(adviserId);
      if (change === 'all' || known === 'all') adviceChanges.set(adviserId, 'all');
      else if (known) known.push(change);
      else adviceChanges.set(adviserId, [change]);
    };
    /** Workflows touched: the entry of the fact stored for each here, or null to read it (a tombstone's). */
    const workflows = new Map<string, WorkflowEntry | null>();
    /** Advice waits new to the cache, added to their version (adviser, version's key): their rows come last. */
    const waits: Array<[string, string]> = [];
    /** Version rows facts were added to here. */
    const added = new Map<string, VersionRow>();
    const touch = (v: VersionRef) => {
      const key = refKey(v);
      versions.set(key, v);
      recompute.set(key, v);
    };
    const notice = (subject: string, listed: Iterable<VersionRef>) => {
      for (const v of listed) noticed.set(refKey(v), v);
      notices.delete(subject);
    };
    let applied = 0;
    for (const record of records) {
      if (record.type === 'unreadable') continue;
      applied++;
      if (record.type === 'tombstone') {
        const id = record.identity;
        const subject = id.kind === 'package-missing' ? noticeSubject({ indexUrl: id.indexUrl!, packageName: id.packageName! }) : null;
        const listed = subject === null ? [] : noticeVersions(subject);
        prepare('DELETE FROM facts WHERE key = ?').run(record.key);
        if (subject !== null) notice(subject, listed);
        if (id.version) touch(id.version);
        if (id.adviserId) {
          advisers.add(id.adviserId);
          changeAdvice(id.adviserId, 'all');
        }
        if (id.workflowName) workflows.set(id.workflowName, null);
        continue;
      }
      const fact = record.fact;
      // The notice it replaces may have listed other versions: they are touched too.
      const replaced = fact.kind === 'package-missing' ? (noticeOf(noticeSubject(fact))?.versions ?? new Set<string>()) : undefined;
      // A fact the cache holds already (this process's own, read back from the knowledge topic) changes no row.
      const stored = storeFact(record.key, fact, record.value);
      if (stored.outcome === 'same') continue;
      if (fact.kind === 'package-missing') notice(noticeSubject(fact), noticeChanges(fact, replaced!));
      const v = versionOf(fact);
      if (v && fact.kind !== 'workflow') {
        const key = refKey(v);
        if (stored.outcome === 'new') {
          if (!recompute.has(key) && addToVersion(v, fact, added)) {
            if (mayCompleteDecision(fact)) versions.set(key, v);
            if (fact.kind === 'advice-wait') waits.push([fact.adviserId, key]);
            if (fact.kind === 'missing') noticed.set(key, v);
          } else touch(v);
        } else if (!recompute.has(key) && changeInVersion(v, fact, stored.previousAt, added)) {
          // A value replaced can undo anything a decision looked at (mayCompleteDecision).
          versions.set(key, v);
          if (fact.kind === 'missing') noticed.set(key, v);
        } else touch(v);
      }
      const adviser = adviserOf(fact);
      if (adviser) {
        advisers.add(adviser);
        if (fact.kind === 'advice' || fact.kind === 'advice-wait' || fact.kind === 'advice-re-run')
          changeAdvice(
            adviser,
            stored.outcome === 'changed' ? { fact, previousAt: stored.previousAt } : fact.kind === 'advice' ? 'all' : { fact },
          );
      }
      if (fact.kind === 'workflow') workflows.set(fact.workflow.name, fact.workflow);
    }
    /** Advice runs recomputed here from all their facts (a version's wait needs its run's row). */
    const refreshed = new Set<string>();
    for (const v of recompute.values()) refreshVersion(v, advisers, refreshed);
    // Only a flag that changed can change a decision (a notice sent again lists the same versions).
    for (const [key, v] of noticed) if (!recompute.has(key) && refreshMissing(v)) versions.set(key, v);
    for (const [adviser, changes] of adviceChanges) {
      if (refreshed.has(adviser)) continue;
      if (changes === 'all' || !updateAdvice(adviser, changes)) refreshAdvice(adviser);
    }
    // A version recomputed has its waits already.
    for (const [adviser, key] of waits) if (!recompute.has(key)) insertWait(adviser, added.get(key)!.id);
    for (const [name, entry] of workflows) {
      const about = refreshWorkflow(name, entry ?? undefined);
      // A workflow about a version that leaves flight (or is removed) may let that version's decisions go on: a solver
      // result awaited, security indicators no longer in flight. One entering flight only holds them back.
      if (about && (entry === null || mayCompleteDecision({ kind: 'workflow', workflow: entry }))) versions.set(refKey(about), about);
    }
    return { applied, touched: { versions: [...versions.values()], adviserIds: [...advisers], workflows: [...workflows.keys()] } };
  };

  /** Recomputes every derived row from the facts (a migration, or a repair). */
  const rebuild = (): void => {
    notices = new Map();
    for (const table of [
      'solver_results',
      'hashes',
      'cve_notices',
      'unresolved_requests',
      'advice_waits',
      'advice_runs',
      'workflows',
      'package_versions',
    ])
      prepare(`DELETE FROM ${table}`).run();
    const advisers = new Set<string>();
    const refs = prepare(
      'SELECT DISTINCT index_url, package_name, package_version FROM facts WHERE package_name IS NOT NULL ORDER BY at, package_name, package_version',
    ).all() as Array<{ index_url: string; package_name: string; package_version: string }>;
    for (const r of refs)
      refreshVersion({ indexUrl: r.index_url, packageName: r.package_name, packageVersion: r.package_version }, advisers, new Set());
    for (const r of prepare(`SELECT DISTINCT subject FROM facts WHERE kind IN ('advice', 'advice-re-run', 'advice-wait')`).all() as Array<{
      subject: string;
    }>)
      refreshAdvice(r.subject);
    for (const r of prepare(`SELECT subject FROM facts WHERE kind = 'workflow' ORDER BY at, subject`).all() as Array<{ subject: string }>)
      refreshWorkflow(r.subject);
  };

  return { apply, rebuild };
}

export type Projection = ReturnType<typeof projection>;

/**
 * The schema of SPEC §5, built by numbered migrations. PRAGMA user_version
 * holds the number of the last migration applied; a migration is never
 * edited once released, a change is a new entry at the end.
 */
import type Database from 'better-sqlite3';
import { factsFromTables } from './backfill.js';

/** Marks the file as thoth's (PRAGMA application_id, bytes 68–71 of the header): "THOT". */
export const THOTH_APPLICATION_ID = 0x54484f54;

/** SQL, or a function for what SQL alone cannot do (canonical versions need PEP 440). */
type Migration = string | ((db: Database.Database) => void);

const MIGRATIONS: Migration[] = [
  // 1: the knowledge cache, the workflow ledger, the consumer inbox and the embedded broker's log.
  `
  CREATE TABLE indexes (
    url TEXT PRIMARY KEY,
    registered_at TEXT NOT NULL
  );

  CREATE TABLE package_versions (
    id INTEGER PRIMARY KEY,
    package_name TEXT NOT NULL,
    package_version TEXT NOT NULL,
    index_url TEXT NOT NULL,
    is_missing INTEGER NOT NULL DEFAULT 0,
    provides_source_distro INTEGER,            -- NULL: not known
    si_state TEXT NOT NULL DEFAULT 'none',     -- none | scheduled | done | failed
    first_seen TEXT NOT NULL,
    UNIQUE (package_name, package_version, index_url)
  );
  CREATE INDEX package_versions_missing ON package_versions (package_name) WHERE is_missing = 1;
  CREATE INDEX package_versions_si_pending ON package_versions (id) WHERE si_state <> 'done';

  CREATE TABLE solver_results (
    version_id INTEGER NOT NULL REFERENCES package_versions (id),
    solver TEXT NOT NULL,
    error INTEGER NOT NULL DEFAULT 0,
    solved_at TEXT NOT NULL,
    PRIMARY KEY (version_id, solver)
  ) WITHOUT ROWID;
  CREATE INDEX solver_results_solver ON solver_results (solver, version_id);

  CREATE TABLE hashes (
    version_id INTEGER NOT NULL REFERENCES package_versions (id),
    hash TEXT NOT NULL,
    present INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (version_id, hash)
  ) WITHOUT ROWID;

  CREATE TABLE cve_notices (
    version_id INTEGER NOT NULL REFERENCES package_versions (id),
    received_at TEXT NOT NULL,
    PRIMARY KEY (version_id, received_at)
  ) WITHOUT ROWID;

  CREATE TABLE unresolved_requests (
    version_id INTEGER NOT NULL REFERENCES package_versions (id),
    solver TEXT NOT NULL DEFAULT '',           -- '' when the request named no solver
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (version_id, solver)
  ) WITHOUT ROWID;
  CREATE INDEX unresolved_requests_last_seen ON unresolved_requests (last_seen);

  CREATE TABLE advice_runs (
    adviser_id TEXT PRIMARY KEY,
    recommendation_type TEXT NOT NULL,
    created_at TEXT NOT NULL,
    re_run_published_at TEXT
  );
  CREATE TABLE advice_waits (
    adviser_id TEXT NOT NULL REFERENCES advice_runs (adviser_id),
    version_id INTEGER NOT NULL REFERENCES package_versions (id),
    PRIMARY KEY (adviser_id, version_id)
  ) WITHOUT ROWID;
  CREATE INDEX advice_waits_version ON advice_waits (version_id);

  CREATE TABLE workflows (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    namespace TEXT NOT NULL,
    parameters TEXT NOT NULL,                  -- JSON object NAME -> value
    idempotency_key TEXT NOT NULL,
    status TEXT NOT NULL,
    source_topic TEXT,
    source_partition INTEGER,
    source_offset INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    package_name TEXT,
    package_version TEXT,
    index_url TEXT
  );
  CREATE INDEX workflows_key ON workflows (idempotency_key, created_at);
  CREATE INDEX workflows_package ON workflows (package_name, package_version, kind);
  CREATE INDEX workflows_created ON workflows (created_at);
  CREATE INDEX workflows_kind_status ON workflows (kind, status, created_at);

  CREATE TABLE inbox (
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    "offset" INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    processed_at TEXT NOT NULL,
    PRIMARY KEY (topic, partition, "offset")
  ) WITHOUT ROWID;

  CREATE TABLE dead_letters (
    id INTEGER PRIMARY KEY,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    "offset" INTEGER NOT NULL,
    error_class TEXT NOT NULL,
    reason TEXT NOT NULL,
    value TEXT,                                -- as received
    value_is_json INTEGER NOT NULL,
    headers TEXT NOT NULL,                     -- JSON object
    created_at TEXT NOT NULL,
    UNIQUE (topic, partition, "offset")
  );

  CREATE TABLE log_topics (
    name TEXT PRIMARY KEY,
    partitions INTEGER NOT NULL,
    next_offset INTEGER NOT NULL DEFAULT 0,    -- partition 0: the offset the next record gets
    created_at TEXT NOT NULL
  );
  CREATE TABLE log_records (
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    "offset" INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    key TEXT,
    headers TEXT NOT NULL,
    value TEXT,
    PRIMARY KEY (topic, partition, "offset")
  ) WITHOUT ROWID;
  CREATE INDEX log_records_time ON log_records (topic, partition, timestamp);
  CREATE TABLE log_group_offsets (
    group_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    "offset" INTEGER NOT NULL,                 -- the next offset the group reads
    committed_at TEXT NOT NULL,
    PRIMARY KEY (group_id, topic, partition)
  ) WITHOUT ROWID;
  `,
  // 2: consumer-group membership on the embedded broker. A member leases a partition for a while and
  // renews the lease as it consumes; `generation` grows with every change of owner, so a commit from a
  // member whose lease was taken over can be told apart and refused (src/store/log.ts).
  `
  CREATE TABLE log_group_leases (
    group_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    owner TEXT NOT NULL,                       -- the consuming member's id
    generation INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,               -- milliseconds since the epoch; 0 once released
    PRIMARY KEY (group_id, topic, partition)
  ) WITHOUT ROWID;
  `,
  // 3: dead letters are told apart by where their record came from. Every `investigate --from` file numbers
  // its lines from 0, so (topic, partition, offset) alone let one file's dead letter replace another's.
  `
  CREATE TABLE dead_letters_by_origin (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL DEFAULT '',           -- the broker's address, or file:PATH for --from
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    "offset" INTEGER NOT NULL,
    error_class TEXT NOT NULL,
    reason TEXT NOT NULL,
    value TEXT,                                -- as received
    value_is_json INTEGER NOT NULL,
    headers TEXT NOT NULL,                     -- JSON object
    created_at TEXT NOT NULL,
    UNIQUE (origin, topic, partition, "offset")
  );
  INSERT INTO dead_letters_by_origin (id, topic, partition, "offset", error_class, reason, value, value_is_json, headers, created_at)
    SELECT id, topic, partition, "offset", error_class, reason, value, value_is_json, headers, created_at FROM dead_letters;
  DROP TABLE dead_letters;
  ALTER TABLE dead_letters_by_origin RENAME TO dead_letters;
  `,
  // 4: knowledge as facts (SPEC §5.1). `facts` holds every fact read, key -> value as on the knowledge topic; the
  // knowledge tables become its projection (src/store/projection.ts). `changelog_offsets`: how far the cache has
  // read each partition of a knowledge topic, so a restart resumes there. What the tables held becomes facts.
  (db) => {
    db.exec(`
    CREATE TABLE facts (
      key TEXT PRIMARY KEY,                    -- the fact's identity, a JSON array (src/facts/codec.ts)
      kind TEXT NOT NULL,
      index_url TEXT,                          -- the version the fact is about, if any
      package_name TEXT,
      package_version TEXT,
      subject TEXT,                            -- solver, hash, adviser id, workflow name, ...
      value TEXT NOT NULL,                     -- as read: {"v":1,...}
      at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX facts_version ON facts (package_name, package_version, index_url);
    CREATE INDEX facts_subject ON facts (kind, subject);

    CREATE TABLE changelog_offsets (
      topic TEXT NOT NULL,
      partition INTEGER NOT NULL,
      next_offset INTEGER NOT NULL,            -- the next offset to read
      last_fact_at TEXT,                       -- the timestamp of the last record read
      updated_at TEXT NOT NULL,
      PRIMARY KEY (topic, partition)
    ) WITHOUT ROWID;
    `);
    addRunOpen(db);
    factsFromTables(db);
  },
  // 5: dead letters can be re-driven (\`thoth dead-letters redrive\`). The record's key is kept (key_known
  // tells a null key from one never recorded), and each re-drive is recorded, so that the same dead
  // letter is not sent again by accident.
  `
  ALTER TABLE dead_letters ADD COLUMN record_key TEXT;
  ALTER TABLE dead_letters ADD COLUMN key_known INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE dead_letter_redrives (
    id INTEGER PRIMARY KEY,
    dead_letter_id INTEGER NOT NULL REFERENCES dead_letters (id) ON DELETE CASCADE,
    redriven_at TEXT NOT NULL,
    copy TEXT NOT NULL,                        -- where the original came from: source-topic, dead-letter-topic, cache
    topic TEXT NOT NULL,                       -- where it was re-published
    partition INTEGER NOT NULL,
    "offset" INTEGER NOT NULL
  );
  CREATE INDEX dead_letter_redrives_letter ON dead_letter_redrives (dead_letter_id);
  `,
  // 6: \`facts\` keeps its rows in the order they came (a rowid table; the key stays unique). Clustered by
  // key, every fact of a batch went to another page of the table and its indexes (which carried the key
  // too): a batch of 500 messages rewrote some 6,000 pages; now the rows append and the indexes are small.
  `
  CREATE TABLE facts_by_arrival (
    key TEXT PRIMARY KEY,                      -- the fact's identity, a JSON array (src/facts/codec.ts)
    kind TEXT NOT NULL,
    index_url TEXT,                            -- the version the fact is about, if any
    package_name TEXT,
    package_version TEXT,
    subject TEXT,                              -- solver, hash, adviser id, workflow name, ...
    value TEXT NOT NULL,                       -- as read: {"v":1,...}
    at TEXT NOT NULL
  );
  INSERT INTO facts_by_arrival (key, kind, index_url, package_name, package_version, subject, value, at)
    SELECT key, kind, index_url, package_name, package_version, subject, value, at FROM facts ORDER BY at, key;
  DROP TABLE facts;
  ALTER TABLE facts_by_arrival RENAME TO facts;
  CREATE INDEX facts_version ON facts (package_name, package_version, index_url);
  CREATE INDEX facts_subject ON facts (kind, subject);
  `,
  // 7: indexes that pay for their writes. \`workflows_kind_status\` served no query (the reports filter with
  // \`@kind IS NULL OR kind = @kind\`, which no index serves) and was rewritten on every phase change, while the phase
  // watcher found a namespace's unfinished workflows by reading every workflow; \`facts_version\` held an entry for
  // every workflow fact, which is about no version.
  `
  DROP INDEX IF EXISTS workflows_kind_status;
  CREATE INDEX workflows_unfinished ON workflows (namespace, created_at) WHERE status IN ('Pending', 'Running');
  DROP INDEX facts_version;
  CREATE INDEX facts_version ON facts (package_name, package_version, index_url) WHERE package_name IS NOT NULL;
  `,
  // 8: the advice runs that wait on a version and have no re-run yet, found without reading those that have one. A
  // version many runs asked about (every advice run on a stack with it waits on it) was read whole for each fact
  // about it.
  (db) => addRunOpen(db),
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * `advice_waits.run_open`: a copy of its run's "no re-run published" (src/store/projection.ts keeps it), indexed by
 * version where it is set. Migration 8 adds it, and migration 4 first when it projects an older cache's facts with
 * today's projection, which writes it.
 */
function addRunOpen(db: Database.Database): void {
  const columns = db.prepare('PRAGMA table_info(advice_waits)').all() as Array<{ name: string }>;
  if (columns.some((c) => c.name === 'run_open')) return;
  db.exec(`
    ALTER TABLE advice_waits ADD COLUMN run_open INTEGER NOT NULL DEFAULT 1;
    UPDATE advice_waits SET run_open = 0
      WHERE adviser_id IN (SELECT adviser_id FROM advice_runs WHERE re_run_published_at IS NOT NULL);
    CREATE INDEX advice_waits_open ON advice_waits (version_id) WHERE run_open = 1;
  `);
}

/**
 * Applies every migration after the file's user_version, each in its own
 * transaction; `upTo` stops earlier (tests build the files older thoths wrote).
 */
export function migrate(db: Database.Database, upTo = MIGRATIONS.length): void {
  const userVersion = () => db.pragma('user_version', { simple: true }) as number;
  for (let version = userVersion(); version < Math.min(upTo, MIGRATIONS.length); version++) {
    db.transaction(() => {
      // Another process may have applied it while this one waited for the write lock.
      if (userVersion() > version) return;
      const migration = MIGRATIONS[version];
      if (typeof migration === 'string') db.exec(migration);
      else migration(db);
      db.pragma(`user_version = ${version + 1}`);
      db.pragma(`application_id = ${THOTH_APPLICATION_ID}`);
    }).immediate();
  }
}

/**
 * `thoth query stats` and `thoth query sql`: what is in the file, and
 * read-only SQL for questions the other queries do not answer.
 */
import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { UserError } from '../cli/errors.js';
import { SCHEMA_VERSION } from './migrations.js';

export interface StoreStats {
  path: string;
  schema_version: number;
  /** What this thoth writes; equal to schema_version once migrated. */
  schema_version_supported: number;
  size_bytes: number;
  wal_bytes: number;
  tables: Record<string, number>;
  log: { topics: number; records: number; groups: number };
}

const COUNTED_TABLES = [
  'indexes',
  'package_versions',
  'solver_results',
  'hashes',
  'cve_notices',
  'unresolved_requests',
  'advice_runs',
  'workflows',
  'inbox',
  'dead_letters',
  'log_topics',
  'log_records',
  'log_group_offsets',
];

const fileSize = (path: string) => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

export function storeStats(db: Database.Database, path: string): StoreStats {
  const tables: Record<string, number> = {};
  for (const table of COUNTED_TABLES) tables[table] = (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  const log = db
    .prepare('SELECT (SELECT count(*) FROM log_topics) AS topics, (SELECT coalesce(sum(next_offset), 0) FROM log_topics) AS records, (SELECT count(DISTINCT group_id) FROM log_group_offsets) AS groups')
    .get() as StoreStats['log'];
  return {
    path,
    schema_version: db.pragma('user_version', { simple: true }) as number,
    schema_version_supported: SCHEMA_VERSION,
    size_bytes: fileSize(path),
    wal_bytes: fileSize(`${path}-wal`),
    tables,
    log,
  };
}

export interface SqlResult {
  columns: string[];
  rows: Array<Record<string, unknown>>;
}

/** Runs one read-only statement that returns rows; anything else is refused before it runs. */
export function readOnlySql(db: Database.Database, text: string): SqlResult {
  let statement: Database.Statement;
  try {
    statement = db.prepare(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/more than one statement/i.test(message)) {
      throw new UserError('refused: the SQL holds more than one statement; nothing was run', 'pass a single SELECT');
    }
    throw new UserError(`the SQL does not compile: ${message}`, 'see `thoth query sql --help` for the tables', { cause: error });
  }
  if (!statement.readonly || !statement.reader) {
    throw new UserError('refused: only a single read-only statement that returns rows (SELECT, WITH …, read-only PRAGMA) is allowed; nothing was changed', 'use the thoth commands to change the cache');
  }
  const columns = statement.columns().map((c) => c.name);
  const rows = statement.all() as Array<Record<string, unknown>>;
  return { columns, rows };
}

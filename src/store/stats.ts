/**
 * `thoth query stats` and `thoth query sql`: what is in the file, and
 * read-only SQL for questions the other queries do not answer.
 */
import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { UserError } from '../core/errors.js';
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
  'dead_letter_redrives',
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
    .prepare(
      'SELECT (SELECT count(*) FROM log_topics) AS topics, (SELECT coalesce(sum(next_offset), 0) FROM log_topics) AS records, (SELECT count(DISTINCT group_id) FROM log_group_offsets) AS groups',
    )
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
    throw new UserError(
      `the SQL does not compile: ${message}`,
      `list the tables with: thoth query sql "SELECT name, sql FROM sqlite_master WHERE type = 'table'"`,
      { cause: error },
    );
  }
  if (!statement.readonly || !statement.reader) {
    throw new UserError(
      'refused: only a single read-only statement that returns rows (SELECT, WITH …, read-only PRAGMA) is allowed; nothing was changed',
      'use the thoth commands to change the cache',
    );
  }
  const columns = distinctNames(statement.columns().map((c) => c.name));
  let values: unknown[][];
  try {
    // Arrays, not objects: two columns of one name must both survive. Integers as BigInt: none is rounded.
    values = statement.raw(true).safeIntegers(true).all() as unknown[][];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UserError(`the SQL failed while running: ${message}; nothing was changed`, undefined, { cause: error });
  }
  const rows = values.map((row) => Object.fromEntries(row.map((value, i) => [columns[i], plainInteger(value)])));
  return { columns, rows };
}

/** Column names made unique (`x`, `x:2`, ...) so that no value is lost in a JSON object. */
function distinctNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return count === 1 ? name : `${name}:${count}`;
  });
}

/** A BigInt becomes a number when it is exact as one, else its digits as a string (JSON has no 64-bit integer). */
function plainInteger(value: unknown): unknown {
  if (typeof value !== 'bigint') return value;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

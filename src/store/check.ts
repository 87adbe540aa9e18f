/**
 * `thoth cache check`: SQLite's own PRAGMA integrity_check over the whole
 * file, on a read-only connection that needs none of the pages a damaged
 * cache may have lost (nothing is migrated or written).
 */
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { UserError } from '../core/errors.js';
import { NO_CACHE_HINT } from './open.js';

export interface IntegrityReport {
  path: string;
  ok: boolean;
  /** What integrity_check found (at most `limit` lines), or why it could not run. */
  problems: string[];
}

/** Runs PRAGMA integrity_check on the cache at `path`; at most `limit` problems are listed. */
export function checkIntegrity(path: string, limit = 100): IntegrityReport {
  if (!existsSync(path)) throw new UserError(`no knowledge cache at ${path}`, NO_CACHE_HINT);
  if (statSync(path).isDirectory())
    throw new UserError(`${path} is a folder, not a knowledge cache file`, 'pass the path of a file with --db');
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const rows = db.pragma(`integrity_check(${Math.max(1, Math.floor(limit))})`) as Array<{ integrity_check: string }>;
    const problems = rows.map((r) => r.integrity_check).filter((line) => line !== 'ok');
    return { path, ok: problems.length === 0, problems };
  } catch (error) {
    // The check itself could not read the file: that is its answer.
    return { path, ok: false, problems: [error instanceof Error ? error.message : String(error)] };
  } finally {
    db?.close();
  }
}

/**
 * better-sqlite3's constructor, required rather than imported: it is a CommonJS package, and an ES
 * import of one makes Node load and run its CommonJS export lexer first, a start-up cost of every
 * command that opens the cache (`thoth query`). The types still come from its typings.
 */
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';

const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof Database;

/** `new Database(filename, options)`. */
export function openSqlite(filename: string, options: Database.Options = {}): Database.Database {
  return new Sqlite(filename, options);
}

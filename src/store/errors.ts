/**
 * SQLite failures a user can act on, turned into thoth's typed errors so that
 * they print as one clear line instead of a stack.
 */
import { TransientError, UserError } from '../cli/errors.js';

interface SqliteErrorLike {
  code?: unknown;
  message: string;
}

function sqliteCode(error: unknown): string | undefined {
  const code = (error as SqliteErrorLike | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/** A typed error for a SQLite failure on the cache at `path`, or the error itself when it is not one. */
export function storeError(error: unknown, path: string): unknown {
  const code = sqliteCode(error);
  if (!code) return error;
  const detail = (error as SqliteErrorLike).message;
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new UserError(`${path} is corrupt or not a thoth knowledge cache (${detail}); it was left untouched`, 'restore it from a backup, or pass another file with --db', { cause: error });
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new TransientError(`the knowledge cache ${path} is busy (${detail})`, 1000, { cause: error });
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return new UserError(`cannot write to ${path} (${detail})`, 'check the permissions of the file and of its folder', { cause: error });
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL' || code === 'SQLITE_PERM') {
    return new UserError(`cannot use the knowledge cache ${path} (${detail})`, undefined, { cause: error });
  }
  return error;
}

/** Runs fn, rethrowing SQLite failures as typed errors. */
export function withStoreErrors<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw storeError(error, path);
  }
}

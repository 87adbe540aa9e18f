/**
 * SQLite failures a user can act on, turned into thoth's typed errors so that
 * they print as one clear line instead of a stack.
 */
import { FatalError, TransientError } from '../core/errors.js';
import { lockHolder } from './lock-holder.js';

interface SqliteErrorLike {
  code?: unknown;
  message: string;
}

function sqliteCode(error: unknown): string | undefined {
  const code = (error as SqliteErrorLike | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/**
 * A typed error for a SQLite failure on the cache at `path`, or the error
 * itself when it is not one. A broken file, a read-only one or a full disk is
 * a FatalError: no retry helps and no message is to blame. `untouched`: the
 * failure was found before anything was written (opening the file).
 */
export function storeError(error: unknown, path: string, options: { untouched?: boolean } = {}): unknown {
  if (error instanceof FatalError || error instanceof TransientError) return error;
  const code = sqliteCode(error);
  if (!code) return error;
  const detail = (error as SqliteErrorLike).message;
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return damaged(path, detail, options, error);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new TransientError(`the knowledge cache ${path} is locked by ${lockHolder(path)} (${detail})`, 1000, { cause: error });
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return new FatalError(`cannot write to ${path} (${detail})`, 'check the permissions of the file and of its folder', { cause: error });
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL' || code === 'SQLITE_PERM') {
    return new FatalError(`cannot use the knowledge cache ${path} (${detail})`, undefined, { cause: error });
  }
  // A value too large for SQLite is that value's fault, not the file's.
  if (code === 'SQLITE_TOOBIG') return error;
  // Any other SQLite failure on thoth's own statements (a datatype mismatch, a missing table, a
  // constraint the schema should have kept) means the file is not what this thoth wrote.
  return damaged(path, detail, options, error);
}

/** The one line for a cache whose pages or schema are not what thoth wrote, with what to do. */
export function damaged(path: string, detail: string, options: { untouched?: boolean }, cause?: unknown): FatalError {
  return new FatalError(
    `the knowledge cache ${path} is damaged (${oneLine(detail)})${options.untouched ? '; it was left untouched' : ''}`,
    `run \`thoth cache check --db ${path}\` for the details; restore it from a backup, or move it aside and let thoth start a new one (\`thoth query\` still reads what it can)`,
    { cause },
  );
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/** Runs fn, rethrowing SQLite failures as typed errors. */
export function withStoreErrors<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw storeError(error, path);
  }
}

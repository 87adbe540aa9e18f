/**
 * Opening the cache file safely: a missing file is created only for commands
 * that write; a file that is not thoth's, is corrupt, or was written by a
 * newer thoth is refused before anything is written to it.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { UserError } from '../core/errors.js';
import { makeFolders } from '../core/folders.js';
import { storeError } from './errors.js';
import { SCHEMA_VERSION, THOTH_APPLICATION_ID, migrate } from './migrations.js';
import { openSqlite } from './sqlite.js';

export interface OpenOptions {
  /** Create the file (and its folders) when it does not exist. */
  create?: boolean;
  /** Open a read-only connection: nothing is created, written or migrated by this connection. */
  readonly?: boolean;
  /** Told when the file (or its folder) is open to other users. */
  warn?: (text: string) => void;
}

/**
 * How long a connection waits for another process's lock before SQLITE_BUSY.
 * SQLite waits on this thread, so the whole process stands still meanwhile:
 * it is kept short, enough for another process's commit or checkpoint, and
 * longer waits go through whenUnlocked (lock-wait.ts), on timers.
 */
export const BUSY_TIMEOUT_MS = 100;

const MMAP_BYTES = 256 * 2 ** 20;
/** The page cache of a connection that writes, in KiB (SQLite's default is 2,000). */
const WRITER_CACHE_KIB = 32 * 1024;
/** WAL pages after which a writer's commit checkpoints (SQLite's default is 1,000). */
const WAL_CHECKPOINT_PAGES = 8_000;

const SQLITE_HEADER = 'SQLite format 3\0';

export const NO_CACHE_HINT = 'run `thoth investigate` or `thoth publish` first, or pass --db';

function readHeader(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(16);
    const read = readSync(fd, buffer, 0, 16, 0);
    return buffer.subarray(0, read).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

interface FileFacts {
  applicationId: number;
  userVersion: number;
  objects: number;
}

/**
 * SQLite reads `file:` names as URIs only when asked (better-sqlite3 reads this
 * switch once, from the process environment, when it opens its first file):
 * `?immutable=1` is how a reader opens a cache it cannot lock (below).
 */
function allowUriFilenames(): void {
  process.env.SQLITE_USE_URI ??= '1';
}

/** SQLite's codes for a reader that cannot make the -shm/-wal files beside a WAL cache (read-only mount, another user's folder). */
function cannotShare(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' && (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_IOERR_LOCK')
  );
}

/**
 * A read-only connection that has read the file once. When the folder (or the
 * mount) cannot hold the -shm file a WAL reader needs, the file is opened
 * immutable: SQLite then reads it without locks or a WAL index, so what it
 * shows may miss what a writer has not yet checkpointed. `onImmutable` is told.
 */
function openReader(path: string, onImmutable?: () => void): Database.Database {
  allowUriFilenames();
  const db = openSqlite(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  try {
    db.pragma('user_version');
    return db;
  } catch (error) {
    db.close();
    if (!cannotShare(error)) throw error;
  }
  const uri = `file:${encodeURI(resolve(path)).replace(/[?#]/g, encodeURIComponent)}?immutable=1`;
  const immutable = openSqlite(uri, { readonly: true, fileMustExist: true });
  immutable.pragma('user_version');
  onImmutable?.();
  return immutable;
}

/** What the file says about itself, and the read-only connection that read it when asked to keep it. */
interface Inspected extends FileFacts {
  reader?: Database.Database;
  /** The reader had to open the file immutable (see openReader). */
  immutable: boolean;
}

/**
 * Reads what the file says about itself through a read-only connection, closed after unless
 * `keep`: a read-only command then goes on with that one connection rather than opening a second.
 */
function inspect(path: string, keep: boolean): Inspected {
  let immutable = false;
  const db = openReader(path, () => (immutable = true));
  let facts: FileFacts;
  try {
    facts = {
      applicationId: db.pragma('application_id', { simple: true }) as number,
      userVersion: db.pragma('user_version', { simple: true }) as number,
      objects: (db.prepare('SELECT count(*) AS n FROM sqlite_master').get() as { n: number }).n,
    };
  } catch (error) {
    db.close();
    throw error;
  }
  if (!keep) db.close();
  return { ...facts, immutable, ...(keep ? { reader: db } : {}) };
}

const immutableWarning = (path: string) =>
  `${path} is opened read-only and immutable (its folder or mount cannot hold the files a shared reader needs): what it shows may be stale while another process writes to it`;

function notThoth(path: string, why: string): UserError {
  return new UserError(
    `${path} is not a thoth knowledge cache (${why}); it was left untouched`,
    'pass the path of a thoth cache with --db, or a new file name to start one',
  );
}

/**
 * Checks an existing file: whether it is empty (no thoth data yet), its schema version, and, when
 * `keepReader`, the read-only connection that read them (the caller closes it).
 */
function checkExisting(
  path: string,
  keepReader: boolean,
): { empty: boolean; userVersion: number; reader?: Database.Database; immutable: boolean } {
  const stat = statSync(path);
  if (stat.isDirectory()) throw new UserError(`${path} is a folder, not a knowledge cache file`, 'pass the path of a file with --db');
  if (stat.size === 0) return { empty: true, userVersion: 0, immutable: false };
  if (readHeader(path) !== SQLITE_HEADER) throw notThoth(path, 'not an SQLite database');
  let facts: Inspected;
  try {
    facts = inspect(path, keepReader);
  } catch (error) {
    throw storeError(error, path, { untouched: true });
  }
  if (facts.applicationId !== THOTH_APPLICATION_ID && (facts.applicationId !== 0 || facts.objects > 0)) {
    facts.reader?.close();
    throw notThoth(path, 'an SQLite database of another program');
  }
  if (facts.userVersion > SCHEMA_VERSION) {
    facts.reader?.close();
    throw new UserError(
      `${path} was written by a newer thoth (schema version ${facts.userVersion}; this thoth knows up to ${SCHEMA_VERSION})`,
      'upgrade thoth to read it',
    );
  }
  return { empty: facts.objects === 0, userVersion: facts.userVersion, reader: facts.reader, immutable: facts.immutable };
}

function connect(path: string, readonly: boolean, onImmutable?: () => void): Database.Database {
  allowUriFilenames();
  const db = readonly ? openReader(path, onImmutable) : openSqlite(path, { readonly, fileMustExist: readonly, timeout: BUSY_TIMEOUT_MS });
  try {
    memoryMapped(db);
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      // Offsets are committed on the strength of these writes: they must survive a power cut.
      db.pragma('synchronous = FULL');
      // A batch's statements each keep a statement journal (and sorts their temporary b-trees): in memory,
      // not in files under /var/tmp (those were most of a batched run's writes and a third of its system time).
      db.pragma('temp_store = MEMORY');
      // A batch touches pages all over the facts' indexes: with SQLite's 2 MB page cache it wrote pages out to the WAL
      // before its commit and again at it (and read them back). A writer's cache holds a batch's pages.
      db.pragma(`cache_size = -${WRITER_CACHE_KIB}`);
      // SQLite checkpoints once the WAL passes 1,000 pages, which one batch does: every commit then copied its pages into
      // the database and synced it twice more. Checkpointed less often, a page a few batches rewrite is copied once.
      db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
    }
    return db;
  } catch (error) {
    // A locked file is tried again later (lock-wait.ts): this connection must not stay open meanwhile.
    db.close();
    throw error;
  }
}

/** Reads through a memory map skip a system call per page: counts over a million rows get ~10x faster. */
function memoryMapped(db: Database.Database): void {
  db.pragma(`mmap_size = ${MMAP_BYTES}`);
}

/** Opens the cache at `path`, creating or upgrading its schema as the options allow. */
export function openDatabase(path: string, options: OpenOptions = {}): Database.Database {
  const readonly = options.readonly === true;
  if (!existsSync(path)) {
    if (readonly || !options.create) throw new UserError(`no knowledge cache at ${path}`, NO_CACHE_HINT);
    makeCacheFolders(dirname(path));
    createPrivateFile(path);
  } else {
    if (options.warn) for (const warning of permissionWarnings(path)) options.warn(warning);
    const { empty, userVersion, reader, immutable } = checkExisting(path, readonly);
    if (reader && !empty && userVersion === SCHEMA_VERSION) {
      // A reader of a current cache: the connection that checked the file is the one to use.
      if (immutable) options.warn?.(immutableWarning(path));
      try {
        memoryMapped(reader);
      } catch (error) {
        reader.close();
        throw storeError(error, path);
      }
      return reader;
    }
    reader?.close();
    if (readonly && empty) throw new UserError(`${path} holds no thoth data yet`, NO_CACHE_HINT);
    if (readonly && userVersion < SCHEMA_VERSION) {
      // An older cache: upgrade it once so that this thoth can read it.
      const writer = connectOrThrow(path, false);
      try {
        migrate(writer);
      } catch (error) {
        throw storeError(error, path);
      } finally {
        writer.close();
      }
    }
  }
  const db = connectOrThrow(path, readonly, () => options.warn?.(immutableWarning(path)));
  if (!readonly) {
    try {
      migrate(db);
    } catch (error) {
      db.close();
      throw storeError(error, path);
    }
  }
  return db;
}

/**
 * The cache keeps message values, dead letters and the embedded broker's log
 * (headers, secrets in bodies): it is created 0600 (SQLite gives its -wal and
 * -shm files the same mode) in folders created 0700.
 */
function createPrivateFile(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    throw new UserError(
      `cannot create the knowledge cache ${path} (${code ?? String(error)})`,
      'pass another file with --db, or set THOTH_HOME',
    );
  }
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/** What a user should hear about a cache of theirs that others can read, or a folder others can write. */
export function permissionWarnings(path: string): string[] {
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return [];
  const warnings: string[] = [];
  try {
    const file = statSync(path);
    if (file.uid === process.getuid() && (file.mode & 0o077) !== 0) {
      warnings.push(
        `the knowledge cache ${path} is open to other users (mode ${octal(file.mode)}); it keeps message values and the embedded broker's log: chmod 600 ${path}`,
      );
    }
    const folder = statSync(dirname(path));
    // Others who can write the folder can replace the file; the sticky bit (/tmp) stops that.
    if (folder.uid === process.getuid() && (folder.mode & 0o022) !== 0 && (folder.mode & 0o1000) === 0) {
      warnings.push(
        `the folder of the knowledge cache ${dirname(path)} is writable by other users (mode ${octal(folder.mode)}): chmod 700 ${dirname(path)}`,
      );
    }
  } catch {
    // Not ours to judge: the open that follows reports what is wrong.
  }
  return warnings;
}

/** The cache's folders (core/folders.ts); a failure names the folder. */
function makeCacheFolders(dir: string): void {
  try {
    makeFolders(dir);
  } catch (error) {
    const { code, folder } = error as NodeJS.ErrnoException & { folder?: string };
    throw new UserError(
      `cannot create the folder ${folder ?? dir} for the knowledge cache (${code ?? String(error)})`,
      'pass another file with --db, or set THOTH_HOME',
    );
  }
}

function connectOrThrow(path: string, readonly: boolean, onImmutable?: () => void): Database.Database {
  try {
    return connect(path, readonly, onImmutable);
  } catch (error) {
    throw storeError(error, path);
  }
}

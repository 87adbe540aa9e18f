/**
 * The knowledge cache (SPEC §5): the only module that writes SQL. `openStore`
 * returns one object holding the investigator's KnowledgeStore, the queries
 * behind `thoth query`, and the embedded broker's log, all over one
 * better-sqlite3 connection with prepared statements cached per store.
 */
import { systemClock, type Clock } from '../core/clock.js';
import { openDatabase, type OpenOptions } from './open.js';
import { statementCache } from './statements.js';
import { versionFunctions } from './versions.js';
import { requestFunctions } from './requests.js';
import { ledgerFunctions, type InboxRow } from './ledger.js';
import { reportFunctions, type ReportFunctions } from './reports.js';
import { deadLetterFunctions, type DeadLetterFunctions } from './dead-letters.js';
import { packageReport, type PackageReport } from './package-report.js';
import { embeddedLog, type EmbeddedLog } from './log.js';
import { readOnlySql, storeStats, type SqlResult, type StoreStats } from './stats.js';
import { withStoreErrors } from './errors.js';
import type { KnowledgeStore } from './types.js';
import { projection } from './projection.js';
import { factFunctions, type FactFunctions } from './facts-store.js';
import { decisionQueries, type DecisionQueries } from './decision-queries.js';
import { whenUnlocked, type LockWait } from './lock-wait.js';
import { keepDeadLetterRecords, type KeptDeadLetters } from './dead-letter-records.js';
import type { ConsumedRecord } from '../messages/broker-records.js';

export type { KnowledgeStore } from './types.js';
export type { PackageReport, VersionReport } from './package-report.js';
export type { WorkflowReport, DeadLetterReport, UnresolvedReport, VersionRef } from './reports.js';
export type { StoreStats, SqlResult } from './stats.js';
export type { AppliedRecords, ChangelogPosition, FactFunctions } from './facts-store.js';
export type { Touched } from './projection.js';
export type { DecisionQueries } from './decision-queries.js';
export type { DeadLetterEntry, DeadLetterFilter, Redrive, RedriveCopy } from './dead-letters.js';
export type { KeptDeadLetters } from './dead-letter-records.js';
export type { InboxRow } from './ledger.js';
export { SCHEMA_VERSION } from './migrations.js';
export { checkIntegrity, type IntegrityReport } from './check.js';
export { normalizePackageName, normalizeIndexUrl } from './names.js';
export { whenUnlocked, isLocked, CacheLocked, type LockWait } from './lock-wait.js';
export { lockHolder } from './lock-holder.js';

export interface Store extends KnowledgeStore, ReportFunctions, DeadLetterFunctions, EmbeddedLog, FactFunctions, DecisionQueries {
  readonly path: string;
  readonly readonly: boolean;
  /** Registers every index of a comma-separated list (THOTH_INDEX_URLS); returns the ones that were new. */
  seedIndexes(urls: string | readonly string[] | undefined): string[];
  packageReport(packageName: string, version: string | undefined, solvers: string[]): PackageReport;
  stats(): StoreStats;
  /**
   * Keeps the dead letters of these dead-letter-topic records that the cache does not hold (as read from `origin`,
   * the broker's address), in the caller's transaction.
   */
  keepDeadLetterRecords(
    records: ReadonlyArray<Pick<ConsumedRecord, 'key' | 'headers' | 'value' | 'timestamp'>>,
    origin: string,
  ): KeptDeadLetters;
  /** The inbox rows of topic[partition] in [from, upTo), in offset order (a batch's, before the broker's commit). */
  inboxRows(topic: string, partition: number, from: number, upTo: number): InboxRow[];
  /** Keeps the inbox rows the cache does not hold, in the caller's transaction; how many were new. */
  keepInboxRows(rows: readonly InboxRow[]): number;
  /** One read-only statement that returns rows; refused otherwise. */
  sql(text: string): SqlResult;
  /**
   * Opens one IMMEDIATE transaction that every `transaction()` until
   * `commitBatch` or `rollbackBatch` joins (as a savepoint): a batch of
   * records is made durable by one commit. The caller keeps other writers
   * of the connection out meanwhile (src/core/turns.ts).
   */
  beginBatch(): void;
  commitBatch(): void;
  /** Undoes everything since `beginBatch` (nothing when no batch is open). */
  rollbackBatch(): void;
  /** Marks the open batch here (a savepoint); `rollbackBatchTo` undoes what was written after the mark. */
  markBatch(name: string): void;
  rollbackBatchTo(name: string): void;
  close(): void;
}

export type { OpenOptions } from './open.js';

/**
 * Opens the cache at `path`. A writable store also registers the indexes of
 * `options.indexUrls` (THOTH_INDEX_URLS) so that the investigator accepts them.
 */
export function openStore(path: string, options: OpenOptions & { indexUrls?: string | readonly string[]; clock?: Clock } = {}): Store {
  const db = openDatabase(path, options);
  const prepare = statementCache(db);
  // The times the cache records (first seen, commits, topics created) come from the caller's clock.
  const clock = options.clock ?? systemClock;
  const project = projection(prepare);
  const facts = factFunctions(prepare, project);
  // One transaction function for every call (better-sqlite3 builds five wrappers each time one is made).
  const inTransaction = db.transaction((fn: () => unknown) => fn());
  // Every knowledge write is a fact, applied as one read from the knowledge topic would be.
  const write = (list: Parameters<FactFunctions['applyFacts']>[0]) => void facts.applyFacts(list);
  const ledger = ledgerFunctions(prepare, write);
  const store: Store = {
    path,
    readonly: options.readonly === true,
    transaction: <T>(fn: () => T): T => withStoreErrors(path, () => inTransaction.immediate(fn) as T),
    ...versionFunctions(prepare, clock, write),
    ...requestFunctions(prepare, clock, write),
    ...ledger,
    ...facts,
    ...decisionQueries(prepare),
    ...reportFunctions(prepare),
    ...deadLetterFunctions(prepare),
    ...embeddedLog(db, prepare, clock),
    keepDeadLetterRecords: (records, origin) => keepDeadLetterRecords(records, origin, (letter) => ledger.keepDeadLetter(letter)),
    packageReport: (name, version, solvers) => packageReport(prepare, name, version, solvers),
    stats: () => storeStats(db, path),
    sql: (text) => readOnlySql(db, text),
    beginBatch: () => withStoreErrors(path, () => void db.exec('BEGIN IMMEDIATE')),
    commitBatch: () => withStoreErrors(path, () => void (db.inTransaction && db.exec('COMMIT'))),
    rollbackBatch: () => withStoreErrors(path, () => void (db.inTransaction && db.exec('ROLLBACK'))),
    markBatch: (name) => withStoreErrors(path, () => void db.exec(`SAVEPOINT ${savepointName(name)}`)),
    rollbackBatchTo: (name) => withStoreErrors(path, () => void db.exec(`ROLLBACK TO ${savepointName(name)}`)),
    close: () => {
      if (db.open) db.close();
    },
  };
  guardErrors(store, path);
  const indexUrls = options.indexUrls;
  try {
    if (!store.readonly && indexUrls && indexUrls.length > 0) store.transaction(() => store.seedIndexes(indexUrls));
  } catch (error) {
    store.close();
    throw error;
  }
  return store;
}

/**
 * openStore, waiting (on timers, not on this thread) while another process
 * holds the cache locked: see lock-wait.ts. The error when the wait gives up
 * names the file, the holder and how long it waited.
 */
export function openStoreWhenUnlocked(path: string, options: Parameters<typeof openStore>[1] & { wait: LockWait }): Promise<Store> {
  const { wait, ...rest } = options;
  return whenUnlocked(path, options.readonly ? 'to read it' : 'to open it', () => openStore(path, rest), wait);
}

/**
 * Every call on the store reports a SQLite failure as thoth's one-line error
 * (a cache damaged in pages read late fails in whichever call reads them first).
 */
/** A savepoint's name as SQL: letters, digits and underscores only. */
function savepointName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a savepoint name: ${JSON.stringify(name)}`);
  return name;
}

function guardErrors(store: Store, path: string): void {
  const methods = store as unknown as Record<string, unknown>;
  for (const [name, value] of Object.entries(methods)) {
    if (typeof value !== 'function' || name === 'close') continue;
    const call = value as (...args: unknown[]) => unknown;
    methods[name] = (...args: unknown[]) => withStoreErrors(path, () => call(...args));
  }
}

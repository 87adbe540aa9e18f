/**
 * Exactly-once consumption in batches (SPEC §3, §5.1), the shape every
 * transport shares (Kafka, the embedded broker): the records of one
 * partition are handed to the handler in offset order, each with an
 * ExactlyOnce whose `commit` does not go to the broker at once. Its cache
 * writes (`apply`) run at once inside ONE SQLite transaction open for the
 * batch, so a record sees what earlier records of the batch wrote; what it
 * sends waits with the batch. Then, once per batch:
 *
 *   the broker's atomic commit (Kafka: one transaction with every record the
 *   batch writes and the partition's offset after its last record; the
 *   embedded broker: the appends and the group offset in the same SQLite
 *   transaction), then the SQLite commit.
 *
 * A crash anywhere before the broker's commit leaves nothing: the SQLite
 * transaction is rolled back with the process, the Kafka transaction aborted
 * (or fenced) and the whole batch is read again. A record that must wait
 * (RetryLater) ends its batch: the records before it are committed, it is
 * handed back with its partition. Any other error rolls the batch back.
 *
 * A batch ends after `maxRecords` records, or once it has been open
 * `maxMs`, or at the end of what was fetched: nothing waits for more records.
 */
import { TransientError } from '../core/errors.js';
import { createTurns, type Turns } from '../core/turns.js';
import type { Store } from '../store/index.js';
import { RetryLater, type ConsumedRecord, type ExactlyOnce, type OutgoingRecord, type RecordContext, type RecordHandler } from './port.js';

/** The cache's side of a batch: one transaction, taken in turn with the connection's other writers. */
export interface CacheWrites {
  turns: Turns;
  begin(): void;
  commit(): void;
  rollback(): void;
}

/** The cache's batches over a store's connection, in the given turns. */
export function cacheWrites(store: Pick<Store, 'beginBatch' | 'commitBatch' | 'rollbackBatch'>, turns: Turns = createTurns()): CacheWrites {
  return { turns, begin: () => store.beginBatch(), commit: () => store.commitBatch(), rollback: () => store.rollbackBatch() };
}

export interface BatchBounds {
  /** Most records committed together. */
  maxRecords: number;
  /** Longest a batch stays open before it is committed. */
  maxMs: number;
}

export const DEFAULT_BATCH: BatchBounds = { maxRecords: 500, maxMs: 1_000 };

export interface BatchOptions {
  records: readonly ConsumedRecord[];
  handler: RecordHandler;
  /** The context each record gets (without its exactlyOnce and flush). */
  context: Omit<RecordContext, 'exactlyOnce' | 'flush'>;
  /** Fences earlier owners of the partition if not done yet; `committed`: the group's next offset (records below it are handled). */
  begin(): Promise<{ session: number; committed: number }>;
  /** Writes `out` and commits `next` as the partition's offset, atomically; RetryLater when fenced. */
  commit(out: OutgoingRecord[], next: number): Promise<void>;
  cache: CacheWrites;
  bounds: BatchBounds;
  now(): number;
  /** Checked before each record: stop here (paused, stopping), committing what was handled. */
  halted?(): boolean;
  /** After each batch committed. */
  heartbeat?(): Promise<void>;
}

export interface BatchOutcome {
  /** The offset after the last committed record (undefined: nothing committed). */
  committed?: number;
  /** Records handled and committed. */
  handled: number;
  /** Why handling stopped early: RetryLater (hand the partition back from `retryFrom`) or a failure of the consumption. */
  error?: unknown;
  /** With RetryLater: the first record not committed. */
  retryFrom?: number;
}

/** Handles the records in batches; see above. Runs as one task of the cache's turns. */
export function handleBatches(o: BatchOptions): Promise<BatchOutcome> {
  return o.cache.turns.task(() => run(o));
}

async function run(o: BatchOptions): Promise<BatchOutcome> {
  let out: OutgoingRecord[] = [];
  /** The pending part: its first offset, the offset after its last finished record, when it opened, how many. */
  let first: number | undefined;
  let next: number | undefined;
  let openedAt = 0;
  let count = 0;
  let release: (() => void) | undefined;
  let committed: number | undefined;
  let handled = 0;
  /** Set when a flush asked for by a handler failed: the batch from there is to be read again. */
  let lost: { from: number; error: unknown } | undefined;

  const open = async () => {
    if (release) return;
    const taken = await o.cache.turns.take();
    try {
      o.cache.begin();
    } catch (error) {
      taken();
      throw error;
    }
    release = taken;
  };
  const close = (how: 'commit' | 'rollback') => {
    if (!release) return;
    const done = release;
    release = undefined;
    try {
      if (how === 'commit') o.cache.commit();
      else o.cache.rollback();
    } finally {
      done();
    }
  };
  const reset = () => {
    out = [];
    first = undefined;
    next = undefined;
    count = 0;
  };
  const done = (offset: number) => {
    if (first === undefined) {
      first = offset;
      openedAt = o.now();
    }
    if (next === undefined || offset + 1 > next) {
      next = offset + 1;
      count++;
    }
  };
  /** Commits the pending part: the broker's commit, then the cache's. */
  const flush = async () => {
    if (next === undefined) return close('commit');
    const upTo = next;
    const records = count;
    try {
      await o.commit(out, upTo);
    } catch (error) {
      close('rollback');
      reset();
      throw error;
    }
    close('commit');
    committed = upTo;
    handled += records;
    reset();
    await o.heartbeat?.().catch(() => undefined);
  };
  /** A failed commit: the pending part is read again after a while (fenced, broker away) or the consumption stops. */
  const failed = (error: unknown, from: number | undefined): BatchOutcome => {
    if (error instanceof RetryLater) return { committed, handled, error, retryFrom: from };
    if (error instanceof TransientError) return { committed, handled, error: new RetryLater(error.retryAfterMs ?? 1_000), retryFrom: from };
    return { committed, handled, error };
  };
  /** For handlers about to wait (a decision reading the knowledge topic, back-pressure, a retry in place). */
  const flushForHandler = async () => {
    const from = first;
    try {
      await flush();
    } catch (error) {
      lost = { from: from!, error };
      throw error instanceof RetryLater ? error : new RetryLater(error instanceof TransientError ? (error.retryAfterMs ?? 1_000) : 1_000);
    }
  };

  for (const record of o.records) {
    if (o.halted?.()) break;
    if (first !== undefined && (count >= o.bounds.maxRecords || o.now() - openedAt >= o.bounds.maxMs)) {
      const from = first;
      try {
        await flush();
      } catch (error) {
        return failed(error, from);
      }
    }
    let wrote = false;
    const exactlyOnce: ExactlyOnce = {
      begin: async () => {
        const s = await o.begin();
        return { session: s.session, handled: record.offset < s.committed };
      },
      commit: async (records, apply) => {
        const s = await o.begin();
        if (record.offset < s.committed) return;
        await open();
        apply?.();
        out.push(...records);
        wrote = true;
        done(record.offset);
      },
    };
    try {
      await o.handler(record, { ...o.context, exactlyOnce, flush: flushForHandler });
      done(record.offset);
    } catch (error) {
      if (lost) return failed(lost.error, lost.from);
      // Committed before it failed: its writes stay with the batch (a redelivery finds it handled).
      if (wrote) done(record.offset);
      if (error instanceof RetryLater) {
        const from = first;
        try {
          await flush();
        } catch (flushError) {
          return failed(flushError, from);
        }
        return { committed, handled, error, retryFrom: wrote ? record.offset + 1 : record.offset };
      }
      close('rollback');
      return { committed, handled, error };
    }
    if (lost) return failed(lost.error, lost.from);
  }
  const from = first;
  try {
    await flush();
  } catch (error) {
    return failed(error, from);
  }
  return { committed, handled };
}

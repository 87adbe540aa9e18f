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
 * (or fenced) and the whole batch is read again. A crash between the two
 * commits leaves the batch handled: what the broker holds of it is read back,
 * and its inbox rows, which only the cache held, come from the batch's
 * journal (CacheWrites.journal). A record that must wait
 * (RetryLater) ends its batch: the records before it are committed, it is
 * handed back with its partition. A commit the broker refuses for good (a
 * PermanentError: a follow-up too large for its topic) is handled again
 * from the first record it held, one record per commit made inside the
 * record's own handler, so that the record that caused it sees the refusal
 * (and is dead-lettered) and the others are committed. Any other error
 * rolls the batch back.
 *
 * A batch ends after `maxRecords` records, or once it has been open
 * `maxMs`, or at the end of what was fetched: nothing waits for more records.
 *
 * Where the cache can mark a batch (CacheWrites.marks), a handler may leave
 * work running when it returns (RecordContext.defer: the investigator's
 * workflow creates), so that the next records are handled meanwhile. Every
 * record's first write is marked (a savepoint), and nothing is committed
 * before the work of the records in it has settled. When a record's work
 * fails, the cache is rolled back to that record's mark (its writes and
 * every later record's are undone, and what they send is dropped) and the
 * record is handled again from there, in place: its handler then waits for
 * its work and sees the failure as it would have without `defer`.
 */
import { PermanentError, TransientError } from '../core/errors.js';
import { createTurns, type Turns } from '../core/turns.js';
import type { BatchJournal } from './batch-journal.js';
import type { Store } from '../store/index.js';
import { RetryLater, type ConsumedRecord, type ExactlyOnce, type OutgoingRecord, type RecordContext, type RecordHandler } from './port.js';

/** The cache's side of a batch: one transaction, taken in turn with the connection's other writers. */
export interface CacheWrites {
  turns: Turns;
  begin(): void;
  commit(): void;
  rollback(): void;
  /** Present where handlers may defer work (RecordContext.defer): marks in the open batch, and going back to one. */
  marks?: {
    take(): string;
    rollbackTo(mark: string): void;
  };
  /**
   * Where the broker commits before the cache (Kafka): the batch's inbox rows are kept here before the broker's
   * commit, until the cache's (src/transport/batch-journal.ts). `commit` clears it; `rollback` leaves it pending.
   */
  journal?: BatchJournal;
}

type BatchStore = Pick<Store, 'beginBatch' | 'commitBatch' | 'rollbackBatch' | 'markBatch' | 'rollbackBatchTo'>;

/**
 * The cache's batches over a store's connection, in the given turns; with `deferring`, the records' handlers
 * may leave work running past their return (RecordContext.defer), and each record's writes are marked.
 */
export function cacheWrites(
  store: BatchStore,
  turns: Turns = createTurns(),
  options: { deferring?: boolean; journal?: BatchJournal } = {},
): CacheWrites {
  let taken = 0;
  const { journal } = options;
  return {
    turns,
    begin: () => {
      taken = 0;
      store.beginBatch();
    },
    commit: () => {
      store.commitBatch();
      journal?.clear();
    },
    rollback: () => {
      store.rollbackBatch();
      journal?.leave();
    },
    ...(journal ? { journal } : {}),
    ...(options.deferring
      ? {
          marks: {
            take: () => {
              const mark = `record_${++taken}`;
              store.markBatch(mark);
              return mark;
            },
            rollbackTo: (mark: string) => store.rollbackBatchTo(mark),
          },
        }
      : {}),
  };
}

export interface BatchBounds {
  /** Most records committed together. */
  maxRecords: number;
  /** Longest a batch stays open before it is committed. */
  maxMs: number;
}

/**
 * 2,000 records: a batch's commit writes every page its records touched, and records share pages (the indexes' most):
 * a 20,000-message `investigate --from` made 177,000 writes to the WAL in batches of 500, 110,000 in batches of 2,000
 * (BENCHMARKS.md, "Investigator in batches").
 */
export const DEFAULT_BATCH: BatchBounds = { maxRecords: 2_000, maxMs: 1_000 };

export interface BatchOptions {
  records: readonly ConsumedRecord[];
  handler: RecordHandler;
  /** The context each record gets (without its exactlyOnce and flush). */
  context: Omit<RecordContext, 'exactlyOnce' | 'flush'>;
  /** Fences earlier owners of the partition if not done yet; `committed`: the group's next offset (records below it are handled). */
  begin(): Promise<{ session: number; committed: number }>;
  /**
   * True where nothing but this batch's own commit moves what `begin` tells while the cache's transaction is open (the
   * embedded broker: the group's offsets and leases live in the same SQLite file, whose write lock the batch holds):
   * `begin` is then asked once per open transaction, not twice per record.
   */
  beginHoldsWhileOpen?: boolean;
  /** Writes `out` and commits `next` as the partition's offset, atomically (`first`: the part's first offset); RetryLater when fenced. */
  commit(out: OutgoingRecord[], next: number, first: number): Promise<void>;
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

/** Where the pending part stood when a record began to write: what going back to it restores. */
interface Mark {
  savepoint: string;
  out: number;
  first: number | undefined;
  next: number | undefined;
  count: number;
  openedAt: number;
}

/** A record's work left running (RecordContext.defer). */
interface Deferred {
  index: number;
  offset: number;
  mark: Mark;
  /** What finishes the record once the records before it stand; none when its work failed. */
  settled: Promise<{ finish?: () => Promise<void> | void }>;
}

/** `so far`: what an earlier pass over the same records committed, when a refused part is handled again. */
async function run(o: BatchOptions, soFar?: { committed?: number; handled: number; isolateUntil: number }): Promise<BatchOutcome> {
  let out: OutgoingRecord[] = [];
  /** The pending part: its first offset, the offset after its last finished record, when it opened, how many. */
  let first: number | undefined;
  let next: number | undefined;
  let openedAt = 0;
  let count = 0;
  let release: (() => void) | undefined;
  let committed: number | undefined = soFar?.committed;
  let handled = soFar?.handled ?? 0;
  /** Set when a flush asked for by a handler failed: the batch from there is to be read again. */
  let lost: { from: number; upTo: number; error: unknown } | undefined;
  /**
   * Records below this offset are committed one at a time, inside their handler: after the broker refused a
   * batch for good (a record too large for its topic), so that the record that caused it is the one whose
   * handler sees the refusal (and dead-letters it), and the others are committed.
   */
  let isolateUntil = soFar?.isolateUntil ?? -1;
  /** The part of the last flush that failed. */
  let refused: { from: number; upTo: number } | undefined;
  /** Work the pending part's records left running, in their order. */
  let deferred: Deferred[] = [];
  /** Records below this offset are handled in place (no defer): the work one of them left running failed. */
  let inPlaceUntil = -1;
  /** Set when a handler's flush found deferred work failed: the index to handle again from. */
  let redo: number | undefined;

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
  /** What `begin` told inside the open transaction (beginHoldsWhileOpen). */
  let began: Promise<{ session: number; committed: number }> | undefined;
  const begin = () => (o.beginHoldsWhileOpen && release ? (began ??= o.begin()) : o.begin());
  const close = (how: 'commit' | 'rollback') => {
    if (!release) return;
    const done = release;
    release = undefined;
    began = undefined;
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
      await o.commit(out, upTo, first!);
    } catch (error) {
      refused = { from: first!, upTo };
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
  /**
   * Waits for the work the pending part's records left running. When some failed, goes back to the mark of
   * the first record whose work failed (undoing its writes and the later records', dropping what they send).
   * Then finishes the records before it, in order, and returns the failed record's index: it is handled
   * again from there, in place. A finish that throws (a broken cache) rolls the batch back and is thrown.
   */
  const settle = async (): Promise<number | undefined> => {
    if (deferred.length === 0) return undefined;
    const waiting = deferred;
    deferred = [];
    const outcomes = await Promise.all(waiting.map((d) => d.settled));
    const at = outcomes.findIndex((outcome) => outcome.finish === undefined);
    if (at >= 0) {
      const { offset, mark } = waiting[at];
      o.cache.marks!.rollbackTo(mark.savepoint);
      out.length = mark.out;
      first = mark.first;
      next = mark.next;
      count = mark.count;
      openedAt = mark.openedAt;
      inPlaceUntil = offset + 1;
    }
    try {
      for (const outcome of at < 0 ? outcomes : outcomes.slice(0, at)) await outcome.finish!();
    } catch (error) {
      close('rollback');
      throw error;
    }
    return at < 0 ? undefined : waiting[at].index;
  };
  /** Before a rollback of the whole batch: nothing left running. */
  const settleQuietly = async () => {
    const waiting = deferred;
    deferred = [];
    await Promise.all(waiting.map((d) => d.settled));
  };

  /** For handlers about to wait (a decision reading the knowledge topic, back-pressure, a retry in place). */
  const flushForHandler = async () => {
    const again = await settle();
    if (again !== undefined) {
      redo = again;
      throw new RetryLater(0);
    }
    const from = first;
    try {
      await flush();
    } catch (error) {
      lost = { from: from!, upTo: refused?.upTo ?? from! + 1, error };
      throw error instanceof RetryLater ? error : new RetryLater(error instanceof TransientError ? (error.retryAfterMs ?? 1_000) : 1_000);
    }
  };

  /**
   * A part the broker refused for good is handled again from its first record, each record committed on its
   * own (see isolateUntil); false when the error is not such a refusal, or the part was already handled so.
   */
  const isolate = (error: unknown, from: number | undefined, upTo: number | undefined): number | undefined => {
    if (!(error instanceof PermanentError) || from === undefined || upTo === undefined || from < isolateUntil) return undefined;
    const index = o.records.findIndex((r) => r.offset === from);
    if (index < 0) return undefined;
    isolateUntil = upTo;
    lost = undefined;
    return index;
  };

  /**
   * Commits the pending part: nothing to do after (undefined), the index to handle again from when the
   * broker refused it for good (see isolate), or the outcome that ends the batch.
   */
  const commitPart = async (): Promise<{ again: number } | { outcome: BatchOutcome } | undefined> => {
    const from = first;
    try {
      await flush();
      return undefined;
    } catch (error) {
      const again = isolate(error, from, refused?.upTo);
      return again === undefined ? { outcome: failed(error, from) } : { again };
    }
  };

  for (let index = 0; ; index++) {
    if (index >= o.records.length || o.halted?.()) {
      const again = await settle();
      // Halted: what came before the failed record is committed, the rest read again later.
      if (again !== undefined && index < o.records.length) break;
      if (again !== undefined) {
        index = again - 1;
        continue;
      }
      break;
    }
    const record = o.records[index];
    if (first !== undefined && (count >= o.bounds.maxRecords || o.now() - openedAt >= o.bounds.maxMs)) {
      const again = await settle();
      if (again !== undefined) {
        index = again - 1;
        continue;
      }
      const part = await commitPart();
      if (part && 'outcome' in part) return part.outcome;
      if (part) {
        index = part.again - 1;
        continue;
      }
    }
    const alone = record.offset < isolateUntil;
    const marks = alone || record.offset < inPlaceUntil ? undefined : o.cache.marks;
    let mark: Mark | undefined;
    let wrote = false;
    const exactlyOnce: ExactlyOnce = {
      begin: async () => {
        const s = await begin();
        return { session: s.session, handled: record.offset < s.committed };
      },
      commit: async (records, apply) => {
        // Asked inside the transaction where (beginHoldsWhileOpen) the answer stands until it ends.
        if (o.beginHoldsWhileOpen) await open();
        const s = await begin();
        if (record.offset < s.committed) return;
        await open();
        mark ??= marks && { savepoint: marks.take(), out: out.length, first, next, count, openedAt };
        apply?.();
        out.push(...records);
        done(record.offset);
        // Committed here, so that a refusal reaches this record's handler.
        if (alone) await flush();
        wrote = true;
      },
    };
    const defer = marks
      ? (work: Promise<() => Promise<void> | void>) => {
          const settled = work.then(
            (finish) => ({ finish }),
            () => ({}),
          );
          if (!mark) throw new Error('RecordContext.defer: the record has written nothing to go back before');
          deferred.push({ index, offset: record.offset, mark, settled });
        }
      : undefined;
    try {
      await o.handler(record, { ...o.context, exactlyOnce, flush: flushForHandler, ...(defer ? { defer } : {}) });
      if (!(alone && wrote)) done(record.offset);
    } catch (error) {
      if (redo !== undefined) {
        index = redo - 1;
        redo = undefined;
        continue;
      }
      if (lost) {
        const again = isolate(lost.error, lost.from, Math.max(lost.upTo, record.offset + 1));
        if (again === undefined) return failed(lost.error, lost.from);
        index = again - 1;
        continue;
      }
      // Committed before it failed: its writes stay with the batch (a redelivery finds it handled).
      if (wrote && !alone) done(record.offset);
      if (error instanceof RetryLater) {
        const again = await settle();
        if (again !== undefined) {
          index = again - 1;
          continue;
        }
        const from = first;
        try {
          await flush();
        } catch (flushError) {
          return failed(flushError, from);
        }
        return { committed, handled, error, retryFrom: wrote ? record.offset + 1 : record.offset };
      }
      await settleQuietly();
      close('rollback');
      return { committed, handled, error };
    }
    if (lost) {
      const again = isolate(lost.error, lost.from, Math.max(lost.upTo, record.offset + 1));
      if (again === undefined) return failed(lost.error, lost.from);
      index = again - 1;
      continue;
    }
    if (alone) {
      const from = first;
      try {
        await flush();
      } catch (error) {
        return failed(error, from);
      }
    }
  }
  const part = await commitPart();
  if (part && 'outcome' in part) return part.outcome;
  if (part) return run({ ...o, records: o.records.slice(part.again) }, { committed, handled, isolateUntil });
  return { committed, handled };
}

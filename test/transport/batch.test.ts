/**
 * src/transport/batch.ts with a broker that refuses, for good, any commit
 * holding one record too large for its topic: the batch is handled again one
 * record per commit, the record that caused it is dead-lettered by its own
 * handler, and every other record is committed with its writes.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PermanentError } from '../../src/core/errors.js';
import { createTurns } from '../../src/core/turns.js';
import { openStore, type Store } from '../../src/store/index.js';
import { cacheWrites, handleBatches, type CacheWrites } from '../../src/transport/batch.js';
import type { ConsumedRecord, OutgoingRecord, RecordHandler } from '../../src/transport/port.js';
import { key, tempDbPath } from '../store/temp.js';

const TOPIC = 'thoth.investigator.solved-package';

const records = (values: string[]): ConsumedRecord[] =>
  values.map((value, offset) => ({ topic: TOPIC, partition: 0, offset, timestamp: 0, key: null, headers: {}, value, size: value.length }));

/** The cache's transaction as a list: what a batch applied is kept only when it commits. */
function cache() {
  const kept: string[] = [];
  let open: string[] | undefined;
  const writes: CacheWrites = {
    turns: createTurns(),
    begin: () => void (open = []),
    commit: () => {
      kept.push(...open!);
      open = undefined;
    },
    rollback: () => void (open = undefined),
  };
  return { writes, kept, apply: (what: string) => open!.push(what) };
}

/** A broker whose commit refuses for good when a record of the batch is 'too large'; what it accepted, in order. */
function broker() {
  const written: OutgoingRecord[] = [];
  let offset = 0;
  const commits: number[] = [];
  return {
    written,
    commits,
    committed: () => offset,
    begin: async () => ({ session: 1, committed: offset }),
    commit: async (out: OutgoingRecord[], next: number) => {
      if (out.some((r) => r.value === 'too large'))
        throw new PermanentError('MessageTooLarge', 'sending to follow-ups: the broker refused it');
      written.push(...out);
      offset = next;
      commits.push(next);
    },
  };
}

/** Like the investigator's delivery: the record's follow-up and cache write in its commit; a permanent failure is dead-lettered. */
const handler =
  (apply: (what: string) => void): RecordHandler =>
  async (record, context) => {
    const once = context.exactlyOnce!;
    if ((await once.begin()).handled) return;
    try {
      await once.commit([{ topic: 'follow-ups', key: null, headers: {}, value: record.value }], () => apply(`fact ${record.offset}`));
    } catch (error) {
      if (!(error instanceof PermanentError)) throw error;
      await once.commit([{ topic: 'dead-letter', key: null, headers: {}, value: `${record.offset}: ${error.message}` }], () =>
        apply(`dead letter ${record.offset}`),
      );
    }
  };

describe('batches', () => {
  it('commits the records of a fetch together', async () => {
    const c = cache();
    const b = broker();
    const outcome = await handleBatches({
      records: records(['a', 'b', 'c']),
      handler: handler(c.apply),
      context: { heartbeat: async () => undefined, signal: new AbortController().signal },
      begin: b.begin,
      commit: b.commit,
      cache: c.writes,
      bounds: { maxRecords: 500, maxMs: 60_000 },
      now: () => 0,
    });
    expect(outcome).toEqual({ committed: 3, handled: 3 });
    expect(b.commits).toEqual([3]);
    expect(c.kept).toEqual(['fact 0', 'fact 1', 'fact 2']);
  });

  it('where what begin tells holds while the transaction is open, a batch still sees an offset another member moved before it', async () => {
    const c = cache();
    const b = broker();
    // After the first batch (records 0 and 1) another member of the group handles 2 and 3 and commits 4.
    const commit = async (out: OutgoingRecord[], next: number) => {
      await b.commit(out, next);
      if (next === 2) await b.commit([], 4);
    };
    const outcome = await handleBatches({
      records: records(['a', 'b', 'c', 'd', 'e', 'f']),
      // A handler that commits without asking first: the commit itself skips what the group has handled.
      handler: async (record, context) =>
        context.exactlyOnce!.commit([{ topic: 'follow-ups', key: null, headers: {}, value: record.value }], () =>
          c.apply(`fact ${record.offset}`),
        ),
      context: { heartbeat: async () => undefined, signal: new AbortController().signal },
      begin: b.begin,
      beginHoldsWhileOpen: true,
      commit,
      cache: c.writes,
      bounds: { maxRecords: 2, maxMs: 60_000 },
      now: () => 0,
    });
    expect(outcome.error).toBeUndefined();
    expect(b.committed()).toBe(6);
    expect(b.written.map((r) => r.value)).toEqual(['a', 'b', 'e', 'f']);
    expect(c.kept).toEqual(['fact 0', 'fact 1', 'fact 4', 'fact 5']);
  });

  it.each([
    ['the end of the fetch', 500],
    ['the batch bound', 3],
  ])(
    'a batch the broker refuses for good at %s: the record that caused it is dead-lettered, the others committed',
    async (_, maxRecords) => {
      const c = cache();
      const b = broker();
      const outcome = await handleBatches({
        records: records(['a', 'b', 'too large', 'd', 'e', 'f']),
        handler: handler(c.apply),
        context: { heartbeat: async () => undefined, signal: new AbortController().signal },
        begin: b.begin,
        commit: b.commit,
        cache: c.writes,
        bounds: { maxRecords, maxMs: 60_000 },
        now: () => 0,
      });
      expect(outcome.error).toBeUndefined();
      expect(outcome.committed).toBe(6);
      expect(b.committed()).toBe(6);
      expect(b.written.map((r) => `${r.topic} ${r.value}`)).toEqual([
        'follow-ups a',
        'follow-ups b',
        'dead-letter 2: sending to follow-ups: the broker refused it',
        'follow-ups d',
        'follow-ups e',
        'follow-ups f',
      ]);
      expect(c.kept).toEqual(['fact 0', 'fact 1', 'dead letter 2', 'fact 3', 'fact 4', 'fact 5']);
    },
  );
});

/**
 * Work a handler leaves running (RecordContext.defer, the investigator's workflow creates against a
 * cluster), over a real cache: each record writes its inbox row; its work is a promise the test settles.
 */
describe('work a handler leaves running', () => {
  const INBOX = (offset: number) => ({ topic: TOPIC, partition: 0, offset });
  const AT = '2026-12-06T00:00:00.000Z';

  /** What each call of the handler saw, and the work it was given, settled by the test (in place: waited for). */
  function deferring(work: (offset: number, attempt: number) => Promise<void>) {
    const calls: Array<{ offset: number; deferred: boolean }> = [];
    /** The records whose work was finished (once the records before them stood). */
    const finished: number[] = [];
    const attempts = new Map<number, number>();
    const handle: RecordHandler = async (record, context) => {
      const once = context.exactlyOnce!;
      if ((await once.begin()).handled) return;
      const attempt = (attempts.get(record.offset) ?? 0) + 1;
      attempts.set(record.offset, attempt);
      calls.push({ offset: record.offset, deferred: context.defer !== undefined });
      const running = work(record.offset, attempt);
      if (context.defer) {
        await once.commit([{ topic: 'follow-ups', key: null, headers: {}, value: record.value }], () => {
          // A fact of its own per attempt: what an attempt undone wrote is gone from the cache.
          store.recordUnresolved(key(`package-${record.offset}`, '1.0'), AT, null, `attempt ${attempt}`);
          store.recordInbox(INBOX(record.offset), 'done', AT);
        });
        context.defer(running.then(() => () => void finished.push(record.offset)));
        return;
      }
      // In place, as without a cluster to wait for: a failure of the work is this record's to handle (a dead letter).
      const failed = await running.then(
        () => false,
        () => true,
      );
      await once.commit([{ topic: failed ? 'dead-letter' : 'follow-ups', key: null, headers: {}, value: record.value }], () => {
        if (!failed) store.recordUnresolved(key(`package-${record.offset}`, '1.0'), AT, null, `attempt ${attempt}`);
        store.recordInbox(INBOX(record.offset), failed ? 'dead-letter' : 'done', AT);
      });
    };
    return { calls, finished, handle };
  }

  let store: Store;
  const run = (handler: RecordHandler, values: string[], b = broker(), halted?: () => boolean) =>
    handleBatches({
      records: records(values),
      handler,
      context: { heartbeat: async () => undefined, signal: new AbortController().signal },
      begin: b.begin,
      commit: b.commit,
      cache: cacheWrites(store, createTurns(), { deferring: true }),
      bounds: { maxRecords: 500, maxMs: 60_000 },
      now: () => 0,
      ...(halted ? { halted } : {}),
    });
  const inbox = (n: number) => Array.from({ length: n }, (_, offset) => store.inboxOutcome(INBOX(offset)) ?? null);
  /** The attempts whose writes the cache kept: `package-OFFSET attempt N`. */
  const kept = () =>
    store
      .sql(`SELECT package_name || ' ' || json_extract(key, '$[5]') AS what FROM facts WHERE kind = 'request' ORDER BY package_name`)
      .rows.map((r) => r.what);

  beforeEach(() => {
    store = openStore(tempDbPath(), { create: true });
  });
  afterEach(() => store.close());

  it('handles the next records while one runs, and commits nothing before all of it has settled', async () => {
    const b = broker();
    let finish!: () => void;
    const slow = new Promise<void>((resolve) => (finish = resolve));
    const d = deferring((offset) => (offset === 0 ? slow : Promise.resolve()));
    const outcome = run(d.handle, ['a', 'b', 'c'], b);
    await vi.waitFor(() => expect(d.calls.map((c) => c.offset)).toEqual([0, 1, 2]));
    expect(b.commits).toEqual([]);
    finish();
    expect(await outcome).toEqual({ committed: 3, handled: 3 });
    expect(b.commits).toEqual([3]);
    expect(b.written.map((r) => r.value)).toEqual(['a', 'b', 'c']);
    expect(inbox(3)).toEqual(['done', 'done', 'done']);
    expect(kept()).toEqual(['package-0 attempt 1', 'package-1 attempt 1', 'package-2 attempt 1']);
  });

  it('work that fails: its record and the later ones are undone and handled again, that record in place', async () => {
    const b = broker();
    // The second record's work fails once (a cluster away), then goes through.
    const d = deferring((offset, attempt) => (offset === 1 && attempt === 1 ? Promise.reject(new Error('away')) : Promise.resolve()));
    expect(await run(d.handle, ['a', 'b', 'c', 'd'], b)).toEqual({ committed: 4, handled: 4 });
    expect(d.calls).toEqual([
      { offset: 0, deferred: true },
      { offset: 1, deferred: true },
      { offset: 2, deferred: true },
      { offset: 3, deferred: true },
      { offset: 1, deferred: false },
      { offset: 2, deferred: true },
      { offset: 3, deferred: true },
    ]);
    // Finished once each, in order: not the records undone with the one whose work failed.
    expect(d.finished).toEqual([0, 2, 3]);
    // Sent once each: what the undone records had sent was dropped with them.
    expect(b.written.map((r) => `${r.topic} ${r.value}`)).toEqual(['follow-ups a', 'follow-ups b', 'follow-ups c', 'follow-ups d']);
    expect(inbox(4)).toEqual(['done', 'done', 'done', 'done']);
    expect(kept()).toEqual(['package-0 attempt 1', 'package-1 attempt 2', 'package-2 attempt 2', 'package-3 attempt 2']);
  });

  it('work that keeps failing reaches its record in place (dead-lettered here); the others are committed', async () => {
    const b = broker();
    const d = deferring((offset) => (offset === 2 ? Promise.reject(new Error('forbidden')) : Promise.resolve()));
    expect(await run(d.handle, ['a', 'b', 'c', 'd', 'e'], b)).toEqual({ committed: 5, handled: 5 });
    expect(b.written.map((r) => `${r.topic} ${r.value}`)).toEqual([
      'follow-ups a',
      'follow-ups b',
      'dead-letter c',
      'follow-ups d',
      'follow-ups e',
    ]);
    expect(inbox(5)).toEqual(['done', 'done', 'dead-letter', 'done', 'done']);
    expect(kept()).toEqual(['package-0 attempt 1', 'package-1 attempt 1', 'package-3 attempt 2', 'package-4 attempt 2']);
  });

  it('stopping while work runs: what came before the failed record is committed, the rest read again later', async () => {
    const b = broker();
    let stop = false;
    const d = deferring((offset) => {
      if (offset === 2) stop = true;
      return offset === 1 ? Promise.reject(new Error('away')) : Promise.resolve();
    });
    expect(await run(d.handle, ['a', 'b', 'c', 'd'], b, () => stop)).toEqual({ committed: 1, handled: 1 });
    expect(b.written.map((r) => r.value)).toEqual(['a']);
    expect(inbox(4)).toEqual(['done', null, null, null]);
    expect(kept()).toEqual(['package-0 attempt 1']);
  });
});

/**
 * src/transport/batch.ts with a broker that refuses, for good, any commit
 * holding one record too large for its topic: the batch is handled again one
 * record per commit, the record that caused it is dead-lettered by its own
 * handler, and every other record is committed with its writes.
 */
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/core/errors.js';
import { createTurns } from '../../src/core/turns.js';
import { handleBatches, type CacheWrites } from '../../src/transport/batch.js';
import type { ConsumedRecord, OutgoingRecord, RecordHandler } from '../../src/transport/port.js';

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

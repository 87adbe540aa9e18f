/**
 * On Kafka a batch is committed to the broker before the cache (src/transport/batch.ts): a process that dies between
 * the two leaves the records handled for the group and their inbox rows nowhere. The batch's journal
 * (src/transport/batch-journal.ts) keeps them until the cache's commit; when the partition starts again, the group's
 * committed offset says whether the broker's commit took place. Here the process's death is put exactly at the two
 * points a real kill can only hit by chance (after the journal is written and before the broker's commit; after the
 * broker's commit and before the cache's), on a real broker and a real cache; a restart is a new consumption with a
 * new journal over the same cache file.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readKafkaSettings } from '../../src/config/kafka.js';
import type { Logger } from '../../src/core/logger.js';
import { createTurns } from '../../src/core/turns.js';
import { openStore, type Store } from '../../src/store/index.js';
import { batchJournal, type SettledBatch } from '../../src/transport/batch-journal.js';
import { cacheWrites, type CacheWrites } from '../../src/transport/batch.js';
import { openKafkaKnowledge } from '../../src/transport/kafka/knowledge.js';
import type { KnowledgeTransport } from '../../src/transport/knowledge-port.js';
import type { ConsumedRecord, RecordHandler } from '../../src/transport/port.js';
import { kafkaBootstrap, readyTransactionCoordinator, uniqueTopic } from '../support/kafka.js';
import { eventually } from '../support/eventually.js';
import { createTopicsWithLeaders } from '../../src/transport/kafka/client.js';

const quiet: Logger = { notice: () => {}, warn: () => {}, debug: () => {} };
const RECORDS = 6;
let transport: KnowledgeTransport;
let dir: string;
let store: Store;

beforeAll(async () => {
  await readyTransactionCoordinator(kafkaBootstrap());
  transport = await openKafkaKnowledge(readKafkaSettings([kafkaBootstrap()], {}), quiet);
});
afterAll(async () => {
  await transport?.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-batch-journal-'));
  store = openStore(join(dir, 'cache.db'), { create: true });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A topic of one partition holding RECORDS records. */
async function topicWithRecords(): Promise<string> {
  const topic = uniqueTopic('journal');
  const kafka = new kafkajs.Kafka({ brokers: [kafkaBootstrap()], logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  try {
    await admin.connect();
    await createTopicsWithLeaders(admin, [{ topic, numPartitions: 1 }]);
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: RECORDS }, (_, i) => ({ key: `k${i}`, value: `record ${i}` })) });
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
  return topic;
}

async function appendRecords(topic: string, n: number): Promise<void> {
  const kafka = new kafkajs.Kafka({ brokers: [kafkaBootstrap()], logLevel: kafkajs.logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages: Array.from({ length: n }, (_, i) => ({ key: `more${i}`, value: `more ${i}` })) });
  } finally {
    await producer.disconnect();
  }
}

/** A handler that writes each record's inbox row in its commit, as the investigator does; `seen`: the offsets it was given. */
function inboxHandler(cache: Store, seen: number[], at: string): RecordHandler {
  return async (record: ConsumedRecord, context) => {
    seen.push(record.offset);
    if ((await context.exactlyOnce!.begin()).handled) return;
    await context.exactlyOnce!.commit([], () => cache.recordInbox(record, 'done', at));
  };
}

const inbox = (cache = store) =>
  cache.sql('SELECT "offset", outcome, processed_at FROM inbox ORDER BY "offset"').rows as Array<{ offset: number; processed_at: string }>;

/** The death of a process after the broker's commit: the cache's commit never happens (its transaction is lost with it). */
const afterBrokerCommit = (writes: CacheWrites): CacheWrites => ({
  ...writes,
  commit: () => {
    throw new Error('the process died between the two commits');
  },
});

/** The death of a process after its journal is written and before the broker's commit. */
const beforeBrokerCommit = (writes: CacheWrites): CacheWrites => ({
  ...writes,
  journal: {
    ...writes.journal!,
    keep: (part) => {
      writes.journal!.keep(part);
      throw new Error('the process died before the broker committed');
    },
  },
});

/**
 * One "process": a consumption of the topic with a journal of its own over the cache (`store` unless another is
 * given); `dying` puts its death somewhere.
 */
function run(topic: string, group: string, seen: number[], at: string, dying?: (writes: CacheWrites) => CacheWrites, cache: Store = store) {
  const store = cache;
  const turns = createTurns();
  const settled: SettledBatch[] = [];
  const journal = batchJournal({ path: store.path, store, turns, onSettled: (batch) => settled.push(batch) });
  const writes = cacheWrites(store, turns, { journal });
  const stopping = new AbortController();
  const consumption = transport.consumeExactlyOnce(
    { group, topics: [topic], start: { from: 'earliest' }, signal: stopping.signal, cache: dying ? dying(writes) : writes },
    inboxHandler(store, seen, at),
  );
  consumption.done.catch(() => undefined);
  return { consumption, settled, stop: () => stopping.abort() };
}

describe("a batch's journal between the broker's commit and the cache's", () => {
  it('keeps the inbox rows of a batch the broker committed when the process died before the cache did', { timeout: 90_000 }, async () => {
    const topic = await topicWithRecords();
    const group = uniqueTopic('journal-group');
    const seen: number[] = [];
    // Death after the broker's commit: the cache's commit never happens, its transaction is lost with the process.
    const first = run(topic, group, seen, '2026-01-01T00:00:00.000Z', afterBrokerCommit);
    await expect(first.consumption.done).rejects.toThrow('died between the two commits');
    store.rollbackBatch();
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    expect(inbox()).toEqual([]);
    const [file] = readdirSync(join(dir, 'cache.db-batches'));
    expect(JSON.parse(readFileSync(join(dir, 'cache.db-batches', file), 'utf8'))).toMatchObject({
      topic,
      partition: 0,
      from: 0,
      upTo: RECORDS,
    });

    // The restart: the partition's producer starts again, the group's offset names the batch, the rows are kept.
    const again: number[] = [];
    const second = run(topic, group, again, '2026-01-02T00:00:00.000Z');
    await eventually(() => second.settled.length > 0, 'the pending batch to be settled', { timeoutMs: 30_000 });
    second.stop();
    await second.consumption.done;
    expect(second.settled).toEqual([{ topic, partition: 0, from: 0, upTo: RECORDS, kept: RECORDS }]);
    // Handled once: the broker's commit stands, nothing is handed to the handler again.
    expect(again).toEqual([]);
    expect(inbox().map((row) => [row.offset, row.processed_at])).toEqual(
      Array.from({ length: RECORDS }, (_, i) => [i, '2026-01-01T00:00:00.000Z']),
    );
    expect(readdirSync(join(dir, 'cache.db-batches'))).toEqual([]);
  });

  it('drops the journal of a batch the broker never committed, and the batch is handled again', { timeout: 90_000 }, async () => {
    const topic = await topicWithRecords();
    const group = uniqueTopic('journal-group');
    const seen: number[] = [];
    // Death after the journal is written and before the broker's commit.
    const first = run(topic, group, seen, '2026-01-01T00:00:00.000Z', beforeBrokerCommit);
    await expect(first.consumption.done).rejects.toThrow('died before the broker committed');
    expect(inbox()).toEqual([]);

    const again: number[] = [];
    const second = run(topic, group, again, '2026-01-02T00:00:00.000Z');
    await eventually(() => again.length === RECORDS && inbox().length === RECORDS, 'the batch handled again', { timeoutMs: 30_000 });
    second.stop();
    await second.consumption.done;
    expect(second.settled).toEqual([]);
    expect(again).toEqual([0, 1, 2, 3, 4, 5]);
    // The rows are the second run's: the first run's journal was not taken for a commit that never happened.
    expect(new Set(inbox().map((row) => row.processed_at))).toEqual(new Set(['2026-01-02T00:00:00.000Z']));
  });
  describe('when another member took the partition over meanwhile (another cache)', () => {
    let other: Store;
    beforeEach(() => {
      other = openStore(join(dir, 'other.db'), { create: true });
    });
    afterEach(() => other.close());

    it('keeps the rows of the batch the broker committed: the member carries its token on', { timeout: 90_000 }, async () => {
      const topic = await topicWithRecords();
      const group = uniqueTopic('journal-group');
      const first = run(topic, group, [], '2026-01-01T00:00:00.000Z', afterBrokerCommit);
      await expect(first.consumption.done).rejects.toThrow('died between the two commits');
      store.rollbackBatch();
      // The other member goes on with records written since, and commits them with its own tokens.
      await appendRecords(topic, 3);
      const seenByOther: number[] = [];
      const taking = run(topic, group, seenByOther, '2026-01-02T00:00:00.000Z', undefined, other);
      await eventually(() => inbox(other).length === 3, "the other member's batch", { timeoutMs: 30_000 });
      taking.stop();
      await taking.consumption.done;
      expect(seenByOther).toEqual([6, 7, 8]);

      const restarted = run(topic, group, [], '2026-01-03T00:00:00.000Z');
      await eventually(() => restarted.settled.length > 0, 'the pending batch to be settled', { timeoutMs: 30_000 });
      restarted.stop();
      await restarted.consumption.done;
      expect(inbox().map((row) => row.offset)).toEqual([0, 1, 2, 3, 4, 5]);
    });

    it('does not take the rows of a batch the broker never committed, though the group is past it', { timeout: 90_000 }, async () => {
      const topic = await topicWithRecords();
      const group = uniqueTopic('journal-group');
      const first = run(topic, group, [], '2026-01-01T00:00:00.000Z', beforeBrokerCommit);
      await expect(first.consumption.done).rejects.toThrow('died before the broker committed');
      // The other member handles the same records and commits past them.
      const seenByOther: number[] = [];
      const taking = run(topic, group, seenByOther, '2026-01-02T00:00:00.000Z', undefined, other);
      await eventually(() => inbox(other).length === RECORDS, "the other member's batch", { timeoutMs: 30_000 });
      taking.stop();
      await taking.consumption.done;

      const settled: SettledBatch[] = [];
      const restarted = run(topic, group, [], '2026-01-03T00:00:00.000Z');
      // Nothing to read and nothing to keep: the journal is removed once the partition's producer has started.
      await eventually(() => readdirSync(join(dir, 'cache.db-batches')).length === 0, 'the journal removed', { timeoutMs: 30_000 });
      settled.push(...restarted.settled);
      restarted.stop();
      await restarted.consumption.done;
      expect(settled).toEqual([]);
      expect(inbox()).toEqual([]);
      expect(inbox(other).map((row) => row.offset)).toEqual([0, 1, 2, 3, 4, 5]);
    });
  });
});

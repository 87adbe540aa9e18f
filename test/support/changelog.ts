/**
 * Following a topic with the knowledge changelog reader (src/transport/kafka/changelog.ts) in
 * tests, and writing to it in transactions, committed and aborted, as the investigator does.
 */
import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { expect } from 'vitest';
import type { ChangelogBatch, FollowOptions, KnowledgeTransport } from '../../src/transport/knowledge-port.js';
import { eventually } from './eventually.js';
import { createTopicsWithLeaders } from '../../src/transport/kafka/client.js';

export interface Followed {
  /** Every batch handed on, in the order it came. */
  batches: ChangelogBatch[];
  /** Each partition's nextOffset as the last batch said it. */
  positions: Map<number, number>;
  /** Partitions reset to their beginning, as onReset said them. */
  resets: Array<{ partition: number; from: number; end: number }>;
  /** Resolves once every partition named has been read up to the offset given; rejects if following fails first. */
  reach(targets: ReadonlyMap<number, number>): Promise<void>;
  /** The values of the records handed on for the partition, in order. */
  values(partition: number): Array<string | null>;
  /** Stops following and waits for it to end. */
  stop(): Promise<void>;
}

export function follow(transport: Pick<KnowledgeTransport, 'follow'>, topic: string, from: FollowOptions['from'] = new Map()): Followed {
  const batches: ChangelogBatch[] = [];
  const positions = new Map<number, number>();
  const resets: Followed['resets'] = [];
  const waiters = new Set<() => void>();
  const controller = new AbortController();
  const following = transport.follow({
    topic,
    from,
    signal: controller.signal,
    onBatch: (batch) => {
      batches.push(batch);
      positions.set(batch.partition, batch.nextOffset);
      for (const wake of waiters) wake();
    },
    onReset: (partition, start, end) => void resets.push({ partition, from: start, end }),
  });
  const reached = (targets: ReadonlyMap<number, number>) => [...targets].every(([p, offset]) => (positions.get(p) ?? 0) >= offset);
  return {
    batches,
    positions,
    resets,
    reach: (targets) =>
      Promise.race([
        following.done.then(() => {
          throw new Error('following ended before it reached the offsets');
        }),
        new Promise<void>((resolve) => {
          const wake = () => {
            if (!reached(targets)) return;
            waiters.delete(wake);
            resolve();
          };
          waiters.add(wake);
          wake();
        }),
      ]),
    values: (partition) => batches.filter((b) => b.partition === partition).flatMap((b) => b.records.map((r) => r.value)),
    stop: async () => {
      controller.abort();
      await following.done;
    },
  };
}

/** Each partition's end offset as a read_committed reader sees it, read with kafkajs' admin. */
export async function endOffsets(bootstrap: string, topic: string): Promise<Map<number, number>> {
  const admin = new kafkajs.Kafka({ brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Checks that the end offsets `read` gives are `expected` (partition, end), and returns them. A transaction's commit
 * or abort marker is written to its partitions after the coordinator has answered EndTxn, so a read_committed end
 * offset moves a moment after the producer's commit or abort has returned: they are read again for up to 15 s.
 */
export async function expectEndOffsets(
  read: () => Promise<Map<number, number>>,
  expected: Array<[partition: number, end: number]>,
): Promise<Map<number, number>> {
  const want = new Map(expected);
  let ends = new Map<number, number>();
  const reached = async () => {
    ends = await read();
    return ends.size === want.size && [...want].every(([p, offset]) => ends.get(p) === offset);
  };
  // Not reached in time: the assertion below shows the offsets against those wanted.
  await eventually(reached, 'the end offsets', { timeoutMs: 15_000, intervalMs: 100 }).catch(() => undefined);
  expect(ends).toEqual(want);
  return ends;
}

/** The consumer groups the broker knows. */
export async function groupIds(bootstrap: string): Promise<string[]> {
  const admin = new kafkajs.Kafka({ brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return (await admin.listGroups()).groups.map((g) => g.groupId);
  } finally {
    await admin.disconnect();
  }
}

export interface Transactions {
  /** Records of one transaction, each to its partition, committed or aborted. */
  write(records: Array<{ partition: number; value: string }>, outcome: 'commit' | 'abort'): Promise<void>;
  close(): Promise<void>;
}

/** A transactional producer on the topic (as the investigator writes its knowledge). */
export async function transactionsOn(bootstrap: string, topic: string): Promise<Transactions> {
  const kafka = new kafkajs.Kafka({ brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const producer = kafka.producer({
    transactionalId: `thoth-test.changelog.${randomUUID().slice(0, 8)}`,
    maxInFlightRequests: 1,
    idempotent: true,
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return {
    write: async (records, outcome) => {
      const transaction = await producer.transaction();
      try {
        await transaction.send({ topic, messages: records.map((r) => ({ partition: r.partition, key: r.value, value: r.value })) });
      } catch (error) {
        await transaction.abort();
        throw error;
      }
      await (outcome === 'commit' ? transaction.commit() : transaction.abort());
    },
    close: () => producer.disconnect(),
  };
}

/** A compacted topic of `partitions` partitions, created as the super user at `bootstrap`. */
export async function compactedTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const admin = new kafkajs.Kafka({ brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await createTopicsWithLeaders(admin, [
      { topic, numPartitions: partitions, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ]);
  } finally {
    await admin.disconnect();
  }
}

/**
 * The knowledge changelog reader (src/transport/kafka/changelog.ts) on a real
 * broker: every partition read without a consumer group, committed records
 * only, each batch moving its partition past transaction markers and aborted
 * records, so that a reader that has seen everything is at the end offsets.
 */
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/logger.js';
import { readKafkaSettings } from '../../src/config/kafka.js';
import { openKafkaKnowledge } from '../../src/transport/kafka/knowledge.js';
import type { KnowledgeTransport } from '../../src/transport/knowledge-port.js';
import { compactedTopic, endOffsets, expectEndOffsets, follow, groupIds, transactionsOn } from '../support/changelog.js';
import { kafkaBootstrap, readyTransactionCoordinator, uniqueTopic } from '../support/kafka.js';

const quiet: Logger = { notice: () => {}, warn: () => {}, debug: () => {} };
let transport: KnowledgeTransport;

beforeAll(async () => {
  await readyTransactionCoordinator(kafkaBootstrap());
  transport = await openKafkaKnowledge(readKafkaSettings([kafkaBootstrap()], {}), quiet);
});
afterAll(async () => {
  await transport?.close();
});

describe('the knowledge changelog reader', () => {
  it(
    'follows every partition with no consumer group: committed records in order, aborted ones never, markers moving it to the end offsets',
    { timeout: 60_000 },
    async () => {
      const topic = uniqueTopic('changelog');
      await compactedTopic(kafkaBootstrap(), topic, 3);
      const tx = await transactionsOn(kafkaBootstrap(), topic);
      try {
        await tx.write(
          [
            { partition: 0, value: 'c1-p0' },
            { partition: 1, value: 'c1-p1' },
          ],
          'commit',
        );
        await tx.write(
          [
            { partition: 0, value: 'x1-p0' },
            { partition: 1, value: 'x1-p1' },
          ],
          'abort',
        );
        await tx.write([{ partition: 0, value: 'c2-p0' }], 'commit');
        // Each record and each commit or abort marker takes an offset; partition 1 ends with an abort marker.
        const ends = await expectEndOffsets(
          () => endOffsets(kafkaBootstrap(), topic),
          [
            [0, 6],
            [1, 4],
            [2, 0],
          ],
        );

        const groupsBefore = new Set(await groupIds(kafkaBootstrap()));
        const followed = follow(transport, topic);
        await followed.reach(ends);
        expect(followed.values(0)).toEqual(['c1-p0', 'c2-p0']);
        expect(followed.values(1)).toEqual(['c1-p1']);
        // Exactly at the end offsets, not before, not past: an empty partition hands on nothing.
        expect(followed.positions).toEqual(
          new Map([
            [0, 6],
            [1, 4],
          ]),
        );
        // Nothing of the reader on the broker: no group made, not even while it follows (the broker is shared: groups made since).
        expect((await groupIds(kafkaBootstrap())).filter((g) => !groupsBefore.has(g) && g.startsWith('thoth-changelog-'))).toEqual([]);

        // It follows on: an aborted transaction alone comes as a batch of no records that moves to the new end.
        await tx.write([{ partition: 1, value: 'x2-p1' }], 'abort');
        await tx.write([{ partition: 2, value: 'c3-p2' }], 'commit');
        const later = await expectEndOffsets(
          () => endOffsets(kafkaBootstrap(), topic),
          [
            [0, 6],
            [1, 6],
            [2, 2],
          ],
        );
        await followed.reach(later);
        expect(followed.batches.filter((b) => b.partition === 1).at(-1)).toEqual({ topic, partition: 1, records: [], nextOffset: 6 });
        expect(followed.values(1)).toEqual(['c1-p1']);
        expect(followed.values(2)).toEqual(['c3-p2']);
        expect(followed.positions).toEqual(later);
        // Each partition's batches came in offset order.
        for (const partition of [0, 1, 2]) {
          const offsets = followed.batches.filter((b) => b.partition === partition).map((b) => b.nextOffset);
          expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
        }
        await followed.stop();
        expect(followed.resets).toEqual([]);
      } finally {
        await tx.close();
      }
    },
  );

  it('starts each partition where it is told, and one told past its end from its beginning, saying so', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic('changelog-from');
    await compactedTopic(kafkaBootstrap(), topic, 2);
    const tx = await transactionsOn(kafkaBootstrap(), topic);
    try {
      await tx.write(
        [
          { partition: 0, value: 'a-p0' },
          { partition: 1, value: 'a-p1' },
        ],
        'commit',
      );
      await tx.write([{ partition: 0, value: 'b-p0' }], 'commit');
    } finally {
      await tx.close();
    }
    const ends = await expectEndOffsets(
      () => endOffsets(kafkaBootstrap(), topic),
      [
        [0, 4],
        [1, 2],
      ],
    );
    // Partition 0 from after its first transaction; partition 1 as if the topic had been recreated shorter.
    const followed = follow(
      transport,
      topic,
      new Map([
        [0, 2],
        [1, 9],
      ]),
    );
    await followed.reach(ends);
    await followed.stop();
    expect(followed.values(0)).toEqual(['b-p0']);
    expect(followed.values(1)).toEqual(['a-p1']);
    expect(followed.resets).toEqual([{ partition: 1, from: 9, end: 2 }]);
    expect(followed.positions).toEqual(ends);
  });

  it('ends with the failure of the batch handler, as it is', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic('changelog-failing');
    await compactedTopic(kafkaBootstrap(), topic, 1);
    const tx = await transactionsOn(kafkaBootstrap(), topic);
    try {
      await tx.write([{ partition: 0, value: 'a' }], 'commit');
    } finally {
      await tx.close();
    }
    const following = transport.follow({
      topic,
      from: new Map(),
      signal: new AbortController().signal,
      onBatch: () => {
        throw new Error('the cache is full');
      },
    });
    await expect(following.done).rejects.toThrow('the cache is full');
  });
  it('reads the partitions the topic gains while it follows, from their first record', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic('changelog-grows');
    await compactedTopic(kafkaBootstrap(), topic, 1);
    // The metadata looked at again every half second (5 minutes by default, as for Kafka's consumers).
    const watching = await openKafkaKnowledge(
      readKafkaSettings([kafkaBootstrap()], {}, undefined, { kafkaOptions: ['metadata.max.age.ms=500'] }),
      quiet,
    );
    const first = await transactionsOn(kafkaBootstrap(), topic);
    try {
      await first.write([{ partition: 0, value: 'before-p0' }], 'commit');
    } finally {
      await first.close();
    }
    const followed = follow(watching, topic);
    try {
      await followed.reach(await expectEndOffsets(() => endOffsets(kafkaBootstrap(), topic), [[0, 2]]));
      const admin = new kafkajs.Kafka({ brokers: [kafkaBootstrap()], logLevel: kafkajs.logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] });
      } finally {
        await admin.disconnect();
      }
      const after = await transactionsOn(kafkaBootstrap(), topic);
      try {
        await after.write(
          [
            { partition: 1, value: 'new-p1' },
            { partition: 2, value: 'new-p2' },
          ],
          'commit',
        );
      } finally {
        await after.close();
      }
      // Each partition: the record and its commit marker.
      const ends = await expectEndOffsets(
        () => endOffsets(kafkaBootstrap(), topic),
        [
          [0, 2],
          [1, 2],
          [2, 2],
        ],
      );
      await followed.reach(ends);
      expect(followed.values(1)).toEqual(['new-p1']);
      expect(followed.values(2)).toEqual(['new-p2']);
      expect(followed.positions).toEqual(ends);
    } finally {
      await followed.stop();
      await watching.close();
    }
  });
});

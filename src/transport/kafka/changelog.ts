/**
 * Reading a whole topic on kafkajs without a consumer group of its own, as
 * Kafka Streams reads a global table: every partition, from the offsets the
 * reader kept, committed records only (read_committed: kafkajs' default),
 * nothing committed. kafkajs has no manual assignment, so this joins a
 * throwaway group that only it is in (it gets every partition) and seeks each
 * partition on every join; it never commits there.
 *
 * Each batch says where reading goes on after it, past the transaction
 * markers and aborted records a read_committed reader skips: a reader that
 * has seen everything is then exactly at the topic's end offset.
 */
import { randomUUID } from 'node:crypto';
import type { EachBatchPayload } from 'kafkajs';
import type { ChangelogBatch, FollowOptions, Following } from '../knowledge-port.js';
import { toRecord, type KafkaHandles } from './consume.js';
import { describeKafkaFailure } from './errors.js';
import { untilAnswered } from './patience.js';

export function followChangelog(h: KafkaHandles, options: FollowOptions): Following {
  const { topic, signal } = options;
  const positions = new Map<number, number>();
  // Batches of one partition are handed on one after the other, markers-only ones included.
  const chains = new Map<number, Promise<void>>();
  let failure: unknown;
  const stop = new AbortController();
  const stopped = AbortSignal.any([signal, stop.signal]);

  const deliver = (batch: ChangelogBatch): Promise<void> => {
    const previous = chains.get(batch.partition) ?? Promise.resolve();
    const next = previous.then(async () => {
      if (batch.nextOffset <= (positions.get(batch.partition) ?? 0) && batch.records.length === 0) return;
      await options.onBatch(batch);
      positions.set(batch.partition, Math.max(batch.nextOffset, positions.get(batch.partition) ?? 0));
    });
    const guarded = next.catch((error: unknown) => {
      failure ??= error;
      stop.abort();
    });
    chains.set(batch.partition, guarded);
    return next;
  };

  const run = async (): Promise<void> => {
    const ends = await untilAnswered(() => h.admin.fetchTopicOffsets(topic), stopped);
    for (const { partition, low, high } of ends) {
      const wanted = options.from.get(partition) ?? Number(low);
      if (wanted > Number(high)) {
        options.onReset?.(partition, wanted, Number(high));
        positions.set(partition, Number(low));
      } else positions.set(partition, Math.max(wanted, Number(low)));
    }
    const c = h.kafka.consumer({
      groupId: `thoth-changelog-${randomUUID()}`,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: Math.max(1_048_576, h.settings.messageMaxBytes ?? 0),
      maxWaitTimeInMs: 250,
      retry: h.retry,
    });
    c.on(c.events.GROUP_JOIN, ({ payload }) => {
      for (const partition of payload.memberAssignment[topic] ?? [])
        c.seek({ topic, partition, offset: String(positions.get(partition) ?? 0) });
    });
    c.on(c.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize !== 0 || payload.topic !== topic) return;
      void deliver({ topic, partition: payload.partition, records: [], nextOffset: Number(payload.lastOffset) + 1 }).catch(() => undefined);
    });
    c.on(c.events.CRASH, ({ payload }) => {
      if (payload.restart) h.log.warn(`Kafka changelog reader restarting after: ${payload.error.message}`);
      else {
        failure ??= describeKafkaFailure(h.settings, payload.error, `reading ${topic}`);
        stop.abort();
      }
    });
    const eachBatch = async (payload: EachBatchPayload) => {
      const { batch } = payload;
      if (payload.isStale() || stopped.aborted) return;
      const records = batch.messages.map((message) => toRecord({ topic, partition: batch.partition, message }));
      await deliver({ topic, partition: batch.partition, records, nextOffset: Number(batch.lastOffset()) + 1 });
      payload.resolveOffset(batch.lastOffset());
      await payload.heartbeat().catch(() => undefined);
    };
    try {
      await untilAnswered(() => c.connect(), stopped);
      await untilAnswered(() => c.subscribe({ topics: [topic], fromBeginning: true }), stopped);
      await c.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 4, eachBatch });
    } catch (error) {
      await c.disconnect().catch(() => undefined);
      throw describeKafkaFailure(h.settings, error, `reading ${topic}`);
    }
    await new Promise<void>((resolve) =>
      stopped.aborted ? resolve() : stopped.addEventListener('abort', () => resolve(), { once: true }),
    );
    await c.disconnect().catch(() => undefined);
    await Promise.all(chains.values());
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error('the consumer failed', { cause: failure });
  };

  const done = run();
  done.catch(() => undefined);
  return { done };
}

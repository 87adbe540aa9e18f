/**
 * Consumption on kafkajs for the Kafka transport (src/transport/kafka/client.ts
 * creates the client and passes it in; only types are imported here).
 *
 * Without a group nothing is joined, created or committed on the broker: the
 * partitions are assigned and fetched from their leaders directly
 * (src/transport/kafka/assigned.ts), as `kcat -C` reads. With a group, kafkajs'
 * consumer joins it. Either way the start positions are resolved up front from
 * the partitions' offsets (and the group's committed offsets); a group applies
 * them by seeking on every join.
 */
import { isUtf8 } from 'node:buffer';
import type { Admin, Consumer, ConsumerConfig, EachBatchPayload, EachMessagePayload, Kafka, KafkaMessage, RetryOptions } from 'kafkajs';
import { TransientError, UsageError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { KafkaSettings } from '../../config/kafka.js';
import { FETCH_WAIT_MAX_MS, partitionFetchBytes } from '../../config/kafka-options.js';
import { missingTopicsNotice } from '../../messages/topics.js';
import { describeKafkaFailure, retryWhileSettling } from './errors.js';
import {
  onlyPartitions,
  RetryLater,
  type ConsumeOptions,
  type ConsumeSummary,
  type ConsumedRecord,
  type Consumption,
  type PartitionLag,
  type RecordHandler,
  type StartPosition,
} from '../port.js';
import { OffsetCommitter } from './commit.js';
import { readAssigned } from './assigned.js';
import { sleep } from '../../core/sleep.js';

export interface KafkaHandles {
  kafka: Kafka;
  admin: Admin;
  settings: KafkaSettings;
  log: Logger;
  retry: RetryOptions;
}

export type StoppableConsumption = Consumption & { stop(): Promise<void> };

type Slot = string;
/** A partition's name in the maps of a read (src/transport/kafka/assigned.ts takes it apart again). */
export const slot = (topic: string, partition: number): Slot => `${topic}\u0000${partition}`;

interface PartitionPlan {
  topic: string;
  partition: number;
  /** Next offset to read. */
  position: number;
  /** High watermark when consumption began. */
  end: number;
  /** False where the group already has a committed offset that kafkajs resumes from. */
  seek: boolean;
}

function decodeHeaders(headers: EachMessagePayload['message']['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) out[name] = Buffer.isBuffer(last) ? last.toString('utf8') : String(last);
  }
  return out;
}

export function toRecord({ topic, partition, message }: Pick<EachMessagePayload, 'topic' | 'partition' | 'message'>): ConsumedRecord {
  const { key, value } = message;
  const record: ConsumedRecord = {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    key: key === null ? null : key.toString('utf8'),
    headers: decodeHeaders(message.headers),
    value: value === null ? null : value.toString('utf8'),
    size: value?.length ?? 0,
  };
  // Bytes that are not UTF-8 are kept as bytes, so that tail -o ndjson and replay carry them unchanged.
  const keyBytes = key !== null && !isUtf8(key) ? key : undefined;
  const valueBytes = value !== null && !isUtf8(value) ? value : undefined;
  if (keyBytes || valueBytes) record.raw = { ...(keyBytes ? { key: keyBytes } : {}), ...(valueBytes ? { value: valueBytes } : {}) };
  return record;
}

/** kafkajs' heartbeat interval and session timeout when neither the caller nor a property gives them. */
const KAFKAJS_HEARTBEAT_MS = 3_000;
const KAFKAJS_SESSION_TIMEOUT_MS = 30_000;

/**
 * A group consumer's fetch and membership settings from the client properties (`--kafka-option`), the same for
 * every group member thoth runs (tail --group, the investigator): `defaults` are the caller's where the property is
 * not given. A session timeout given without a heartbeat interval gets a heartbeat of a third of it at most, as
 * Kafka's clients advise; a heartbeat interval given that is not below the session timeout is refused by name (kafkajs
 * would refuse it as a failure of its own when the consumer starts).
 */
export function groupConsumerTuning(
  settings: Pick<KafkaSettings, 'client' | 'messageMaxBytes'>,
  defaults: { sessionTimeoutMs?: number; heartbeatIntervalMs?: number } = {},
): Pick<
  ConsumerConfig,
  'maxBytesPerPartition' | 'maxWaitTimeInMs' | 'minBytes' | 'maxBytes' | 'sessionTimeout' | 'heartbeatInterval' | 'metadataMaxAge'
> {
  const client = settings.client ?? {};
  const sessionTimeout = client.sessionTimeoutMs ?? defaults.sessionTimeoutMs;
  const given = client.heartbeatIntervalMs;
  const inForce = sessionTimeout ?? KAFKAJS_SESSION_TIMEOUT_MS;
  if (given !== undefined && given >= inForce) {
    const session = client.sessionTimeoutMs !== undefined ? 'session.timeout.ms' : 'the session timeout';
    throw new UsageError(
      `--kafka-option heartbeat.interval.ms (${given}) must be below ${session} (${inForce}): a member that heartbeats less often than that is taken for dead`,
      'a heartbeat of about a third of session.timeout.ms is the usual choice',
    );
  }
  const heartbeatInterval =
    given ??
    (client.sessionTimeoutMs === undefined
      ? defaults.heartbeatIntervalMs
      : Math.max(1, Math.min(defaults.heartbeatIntervalMs ?? KAFKAJS_HEARTBEAT_MS, Math.floor(client.sessionTimeoutMs / 3))));
  return {
    maxBytesPerPartition: partitionFetchBytes(settings),
    maxWaitTimeInMs: client.fetchWaitMaxMs ?? FETCH_WAIT_MAX_MS,
    ...(client.fetchMinBytes !== undefined ? { minBytes: client.fetchMinBytes } : {}),
    ...(client.fetchMaxBytes !== undefined ? { maxBytes: client.fetchMaxBytes } : {}),
    ...(sessionTimeout !== undefined ? { sessionTimeout } : {}),
    ...(heartbeatInterval !== undefined ? { heartbeatInterval } : {}),
    ...(client.metadataMaxAgeMs !== undefined ? { metadataMaxAge: client.metadataMaxAgeMs } : {}),
  };
}

/** Topics that exist; missing ones are waited for, or (with exitAtEnd) read as empty. */
async function existingTopics(h: KafkaHandles, options: ConsumeOptions): Promise<string[]> {
  let announced = false;
  while (!options.signal.aborted) {
    const known = new Set(await h.admin.listTopics());
    const missing = options.topics.filter((t) => !known.has(t));
    if (missing.length > 0 && options.exitAtEnd) h.log.notice(missingTopicsNotice(missing, options.topics.length));
    if (missing.length === 0 || options.exitAtEnd) return options.topics.filter((t) => known.has(t));
    const which = missing.length > 3 ? `${missing.length} topics` : `topic${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
    if (!announced) h.log.notice(`waiting for ${which} to be created`);
    announced = true;
    await sleep(1_000, options.signal);
  }
  return [];
}

async function startOffsets(h: KafkaHandles, topic: string, start: StartPosition): Promise<Map<number, { position: number; end: number }>> {
  const offsets = await h.admin.fetchTopicOffsets(topic);
  const byTimestamp =
    start.from === 'timestamp'
      ? new Map((await h.admin.fetchTopicOffsetsByTimestamp(topic, start.timestamp)).map((p) => [p.partition, Number(p.offset)]))
      : undefined;
  return new Map(
    offsets.map(({ partition, low, high }) => {
      const [first, end] = [Number(low), Number(high)];
      const wanted =
        start.from === 'earliest'
          ? first
          : start.from === 'latest'
            ? end
            : start.from === 'offset'
              ? start.offset
              : start.from === 'end'
                ? end - start.back
                : (byTimestamp?.get(partition) ?? end);
      return [partition, { position: Math.min(Math.max(wanted, first), end), end }];
    }),
  );
}

async function plan(h: KafkaHandles, topics: string[], options: ConsumeOptions): Promise<Map<Slot, PartitionPlan>> {
  const committed = new Map<Slot, number>();
  if (options.group !== undefined && topics.length > 0) {
    for (const { topic, partitions } of await h.admin.fetchOffsets({ groupId: options.group, topics })) {
      for (const { partition, offset } of partitions) if (Number(offset) >= 0) committed.set(slot(topic, partition), Number(offset));
    }
  }
  const plans = new Map<Slot, PartitionPlan>();
  for (const topic of topics) {
    const offsets = await startOffsets(h, topic, options.start);
    for (const partition of onlyPartitions(topic, [...offsets.keys()], options.partitions)) {
      const { position, end } = offsets.get(partition)!;
      const resumed = committed.get(slot(topic, partition));
      plans.set(slot(topic, partition), { topic, partition, end, position: resumed ?? position, seek: resumed === undefined });
    }
  }
  return plans;
}

export function consumeFromKafka(h: KafkaHandles, options: ConsumeOptions, handler: RecordHandler): StoppableConsumption {
  const stopping = new AbortController();
  const positions = new Map<Slot, number>();
  const pauses: Array<{ op: 'pause' | 'resume'; topic: string; partition?: number }> = [];
  let consumer: Consumer | undefined;
  let plans = new Map<Slot, PartitionPlan>();
  let planned = false;
  let settle: (outcome: { reason: ConsumeSummary['reason'] } | { error: unknown }) => void = () => {};
  const outcome = new Promise<{ reason: ConsumeSummary['reason'] } | { error: unknown }>((resolve) => {
    settle = (value) => {
      if (!stopping.signal.aborted) stopping.abort();
      resolve(value);
    };
  });
  const onAbort = () => settle({ reason: 'aborted' });
  options.signal.addEventListener('abort', onAbort, { once: true });
  if (options.signal.aborted) onAbort();

  // Partitions held back while one of their records waits to be retried (RetryLater), and what the operator halted.
  const waiting = new Map<Slot, { topic: string; partition: number; timer: NodeJS.Timeout }>();
  const halted = new Set<string>();
  const isHalted = (topic: string, partition: number) => halted.size !== 0 && (halted.has(topic) || halted.has(slot(topic, partition)));

  const applyPause = (op: 'pause' | 'resume', topic: string, partition?: number) => {
    const key = partition === undefined ? topic : slot(topic, partition);
    if (op === 'pause') halted.add(key);
    else halted.delete(key);
    // Without a group the reader looks at `halted` before each fetch (src/transport/kafka/assigned.ts).
    if (!consumer) return void (options.group !== undefined && pauses.push({ op, topic, partition }));
    const target = [{ topic, ...(partition === undefined ? {} : { partitions: [partition] }) }];
    if (op === 'pause') return consumer.pause(target);
    consumer.resume(target);
    // A partition waiting for a retry stays held back until its time comes.
    for (const w of waiting.values())
      if (w.topic === topic && (partition === undefined || w.partition === partition))
        consumer.pause([{ topic, partitions: [w.partition] }]);
  };

  const run = async (): Promise<ConsumeSummary> => {
    let topics: string[];
    try {
      topics = await retryWhileSettling(() => existingTopics(h, options), stopping.signal);
      if (stopping.signal.aborted) return { records: 0, reason: 'aborted' };
      plans = await retryWhileSettling(() => plan(h, topics, options), stopping.signal);
      planned = true;
    } catch (error) {
      throw describeKafkaFailure(h.settings, error, `reading offsets of ${options.topics.join(', ')}`);
    }
    if (stopping.signal.aborted) return { records: 0, reason: 'aborted' };
    for (const [key, p] of plans) positions.set(key, p.position);
    const unfinished = new Set([...plans].filter(([, p]) => p.position < p.end).map(([key]) => key));
    if (options.exitAtEnd && unfinished.size === 0) return { records: 0, reason: 'end' };
    if (topics.length === 0) {
      // No topics were asked for: nothing to subscribe to, so wait until stopped.
      await outcome;
      return { records: 0, reason: 'aborted' };
    }

    if (options.group === undefined) {
      return readAssigned({
        h,
        topics,
        positions,
        ends: new Map([...plans].map(([key, p]) => [key, p.end])),
        unfinished,
        options,
        handler,
        signal: stopping.signal,
        settle,
        outcome,
        isHalted,
        slot,
        toRecord,
      });
    }
    const groupId = options.group;
    const c = h.kafka.consumer({ groupId, allowAutoTopicCreation: false, retry: h.retry, ...groupConsumerTuning(h.settings) });
    const committer = new OffsetCommitter(c, h.log);
    let records = 0;
    let active = 0;
    let idle: (() => void) | undefined;

    c.on(c.events.GROUP_JOIN, ({ payload }) => {
      // Pauses asked for before the first join apply now, before kafkajs fetches anything.
      consumer = c;
      for (const { op, topic, partition } of pauses.splice(0)) applyPause(op, topic, partition);
      // Seek every assigned partition whose start we decided; kafkajs applies it before its next fetch.
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) {
          const p = plans.get(slot(topic, partition));
          if (p?.seek) c.seek({ topic, partition, offset: String(positions.get(slot(topic, partition)) ?? p.position) });
        }
      }
    });
    // A topic written in transactions (the investigator's follow-ups, dead letters, knowledge) ends with a
    // commit marker, which no message reports: the position moves past it here, and --exit-at-end ends there.
    c.on(c.events.END_BATCH_PROCESS, ({ payload }) => {
      const key = slot(payload.topic, payload.partition);
      const next = Number(payload.lastOffset) + 1;
      if (waiting.has(key) || next <= (positions.get(key) ?? 0)) return;
      if (payload.batchSize === 0) positions.set(key, next);
      const end = plans.get(key)?.end;
      if (options.exitAtEnd && end !== undefined && next >= end && unfinished.has(key)) finishPartition(payload.topic, payload.partition);
    });
    c.on(c.events.CRASH, ({ payload }) => {
      if (payload.restart) h.log.warn(`Kafka consumer restarting after: ${payload.error.message}`);
      else settle({ error: describeKafkaFailure(h.settings, payload.error, `consuming ${topics.join(', ')}`) });
    });

    const finishPartition = (topic: string, partition: number) => {
      unfinished.delete(slot(topic, partition));
      c.pause([{ topic, partitions: [partition] }]);
      if (unfinished.size === 0) settle({ reason: 'end' });
    };

    /** Holds the partition back and reads the record again after `delayMs`; the other partitions go on. */
    const retryLater = (topic: string, partition: number, offset: number, delayMs: number) => {
      const key = slot(topic, partition);
      c.pause([{ topic, partitions: [partition] }]);
      c.seek({ topic, partition, offset: String(offset) });
      clearTimeout(waiting.get(key)?.timer);
      const timer = setTimeout(() => {
        waiting.delete(key);
        if (!stopping.signal.aborted && !isHalted(topic, partition)) c.resume([{ topic, partitions: [partition] }]);
      }, delayMs);
      waiting.set(key, { topic, partition, timer });
    };

    /** One record, as eachMessage would have it; false when the rest of its batch is not to be handled now. */
    const handleOne = async (
      topic: string,
      partition: number,
      key: Slot,
      message: KafkaMessage,
      heartbeat: () => Promise<void>,
    ): Promise<boolean> => {
      const offset = Number(message.offset);
      const plan = plans.get(key);
      const end = plan?.end;
      if (options.exitAtEnd && end !== undefined && offset >= end) {
        finishPartition(topic, partition);
        return false;
      }
      active += 1;
      try {
        await handler(toRecord({ topic, partition, message }), { heartbeat, signal: stopping.signal, retriesLater: true });
      } catch (error) {
        if (error instanceof RetryLater) retryLater(topic, partition, offset, error.delayMs);
        else settle({ error });
        return false;
      } finally {
        active -= 1;
        if (active === 0) idle?.();
      }
      records += 1;
      positions.set(key, offset + 1);
      if (plan) plan.seek = false; // a group resumes from its commit after a rebalance
      if (!options.batchDone) committer.commit(topic, partition, offset + 1);
      if (options.exitAtEnd && end !== undefined && offset + 1 >= end) {
        finishPartition(topic, partition);
        return false;
      }
      return true;
    };

    /**
     * A fetched batch of one partition, its records one after another (kafkajs' eachMessage did the
     * same with a heartbeat and a seek check around each record); then options.batchDone, and the
     * offsets of the records handled are committed after it.
     */
    const eachBatch = async (payload: EachBatchPayload) => {
      const { topic, partition } = payload.batch;
      // The partition's name in the maps, made once a batch: a string built for every record is hashed again each time.
      const key = slot(topic, partition);
      const heartbeat = () => payload.heartbeat();
      let handled: string | undefined;
      let beat = Date.now();
      try {
        for (const message of payload.batch.messages) {
          // Not handled, not committed: the next consumer gets it. A partition paused meanwhile stops here.
          if (stopping.signal.aborted || !payload.isRunning() || payload.isStale() || isHalted(topic, partition)) break;
          if (!(await handleOne(topic, partition, key, message, heartbeat))) break;
          handled = message.offset;
          // The group's heartbeat between records, as kafkajs gives it (at most once a second here: it costs).
          if (Date.now() - beat >= 1_000) {
            beat = Date.now();
            await heartbeat();
          }
        }
      } finally {
        if (options.batchDone) {
          try {
            await options.batchDone();
          } catch (error) {
            settle({ error });
            handled = undefined;
          }
        }
      }
      if (handled === undefined) return;
      payload.resolveOffset(handled);
      if (options.batchDone) committer.commit(topic, partition, Number(handled) + 1);
      await heartbeat();
    };

    try {
      await c.connect();
      await c.subscribe({ topics, fromBeginning: options.start.from !== 'latest' });
      await c.run({
        autoCommit: false,
        // Offsets are resolved here, record by record handled: a batch left early (a retry, the end) is read on from there.
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: Math.max(1, options.partitionsConcurrently ?? 1),
        eachBatch,
      });
    } catch (error) {
      await c.disconnect().catch(() => {});
      throw describeKafkaFailure(h.settings, error, `consuming ${topics.join(', ')}`);
    }

    const result = await outcome;
    for (const w of waiting.values()) clearTimeout(w.timer);
    waiting.clear();
    // Let handlers that are running finish (they see the abort), commit what they completed, then leave the group.
    if (active > 0) await new Promise<void>((resolve) => (idle = resolve));
    await committer.flush();
    await c.disconnect().catch((error: unknown) => h.log.debug(`kafka consumer disconnect: ${String(error)}`));
    consumer = undefined;
    if ('error' in result) throw result.error;
    return { records, reason: result.reason };
  };

  const done = run().finally(() => options.signal.removeEventListener('abort', onAbort));
  done.catch(() => {}); // the caller observes `done`; this only avoids an unhandled rejection before it does

  return {
    done,
    pause: (topic, partition) => applyPause('pause', topic, partition),
    resume: (topic, partition) => applyPause('resume', topic, partition),
    lag: async (): Promise<PartitionLag[]> => {
      // Before the start offsets are known there is no lag to tell, which is not the same as none.
      if (!planned) throw new TransientError('the consumer has not read its start offsets yet');
      const lags: PartitionLag[] = [];
      for (const topic of new Set([...plans.values()].map((p) => p.topic))) {
        for (const { partition, high } of await h.admin.fetchTopicOffsets(topic)) {
          lags.push({ topic, partition, position: positions.get(slot(topic, partition)) ?? 0, end: Number(high) });
        }
      }
      return lags;
    },
    stop: async () => {
      settle({ reason: 'aborted' });
      await done.catch(() => {});
    },
  };
}

/**
 * Exactly-once consumption on kafkajs (SPEC §3, §5.1): every record a
 * handler finishes is committed in ONE Kafka transaction together with what
 * the handler wrote (facts, follow-ups, dead letters): kafkajs `transaction()`,
 * `send`, `sendOffsets({ consumerGroupId, topics })`, `commit`; the consumer
 * itself never commits (autoCommit off).
 *
 * Fencing. kafkajs speaks TxnOffsetCommit v0-v1, which carries no consumer
 * group generation, so a member's offsets are not fenced by the group as
 * Kafka's own clients do since KIP-447. Instead each input partition has its
 * own transactional producer, `transactional.id` = `<group>.<topic>.<partition>`
 * (Kafka Streams' first exactly-once design): a member that gains the
 * partition starts that producer, and its InitProducerId bumps the epoch, so
 * an earlier owner still running (a zombie after a rebalance) can commit
 * nothing more, and whatever it left open is completed or aborted first. Only
 * then does the new owner read the group's committed offset; records below it
 * were handled by the earlier owner and are skipped, never committed again
 * (TxnOffsetCommit would move the offset back).
 *
 * Positions move past transaction markers, so the lag of a topic written in
 * transactions (adviser-re-run, the dead-letter topic) reaches 0.
 */
import type { Consumer, EachBatchPayload, Producer, Message, PartitionOffset } from 'kafkajs';
import { TransientError } from '../../core/errors.js';
import { RetryLater, type ConsumeSummary, type Consumption, type OutgoingRecord, type PartitionLag, type RecordHandler } from '../port.js';
import { DEFAULT_BATCH, handleBatches } from '../batch.js';
import { offsetMetadata, tokenOf } from '../batch-journal.js';
import type { ExactlyOnceOptions } from '../knowledge-port.js';
import { groupConsumerTuning, toRecord, type KafkaHandles } from './consume.js';
import { describeKafkaFailure } from './errors.js';
import { untilAnswered } from './patience.js';

/** How long a killed member keeps its partitions (unless session.timeout.ms says otherwise): the group moves them after this without a heartbeat. */
export const SESSION_TIMEOUT_MS = 10_000;
/** How long a transaction may stay open: a member killed inside one holds back read_committed readers at most this long. */
export const TRANSACTION_TIMEOUT_MS = 10_000;
/** After being fenced, wait before trying the partition again: by then the group has told this member whether it still holds it. */
const FENCED_RETRY_MS = 3_000;
/**
 * The transactional producers' retries start short: right after a commit the coordinator answers the
 * next transaction's AddPartitionsToTxn with CONCURRENT_TRANSACTIONS until its markers are written
 * (a few ms), and kafkajs' usual first backoff (300 ms, randomised) made every message wait ~40 ms
 * for it. Java's producer special-cases this error with a 20 ms backoff; this is the same idea.
 */
const TRANSACTION_RETRY = { initialRetryTime: 10, maxRetryTime: 1_000, retries: 12 } as const;

type Slot = string;
const slot = (topic: string, partition: number): Slot => `${topic}\u0000${partition}`;

interface Session {
  id: number;
  producer: Producer;
  /** The group's committed offset: what the previous owner finished, then what this session committed. */
  committed: number;
  /** The batch token the group's offset carried when the session began (src/transport/batch-journal.ts): committed on with every offset. */
  inherited?: string;
}

const FENCED = new Set([
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'INVALID_PRODUCER_ID_MAPPING',
]);

function isFenced(error: unknown): boolean {
  for (let e = error as { type?: string; cause?: unknown; originalError?: unknown } | undefined, i = 0; e && i < 10; i++) {
    if (typeof e.type === 'string' && FENCED.has(e.type)) return true;
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return false;
}

function message(record: OutgoingRecord): Message {
  return {
    key: record.key,
    value: record.value,
    headers: record.headers,
    timestamp: record.timestamp === undefined ? undefined : String(record.timestamp),
  };
}

export function consumeExactlyOnce(
  h: KafkaHandles,
  options: ExactlyOnceOptions,
  handler: RecordHandler,
  onAssigned?: (assigned: Array<{ topic: string; partition: number }>) => void,
): Consumption & { stop(): Promise<void> } {
  const group = options.group;
  const stopping = new AbortController();
  const signal = AbortSignal.any([options.signal, stopping.signal]);
  const sessions = new Map<Slot, Promise<Session>>();
  const positions = new Map<Slot, number>();
  const halted = new Set<string>();
  const waiting = new Map<Slot, NodeJS.Timeout>();
  let assignment: Array<{ topic: string; partition: number }> = [];
  let joined = false;
  let consumer: Consumer | undefined;
  let sessionCount = 0;
  let failure: unknown;
  let active = 0;
  let idle: (() => void) | undefined;
  let records = 0;

  const closeSession = async (key: Slot) => {
    const session = sessions.get(key);
    sessions.delete(key);
    const opened = await session?.catch(() => undefined);
    await opened?.producer.disconnect().catch(() => undefined);
  };

  /** Starts the partition's transactional producer (fencing any earlier owner), then reads what the group has committed. */
  const openSession = async (topic: string, partition: number): Promise<Session> => {
    const producer = h.kafka.producer({
      transactionalId: `${group}.${topic}.${partition}`,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: TRANSACTION_TIMEOUT_MS,
      allowAutoTopicCreation: true,
      retry: TRANSACTION_RETRY,
    });
    try {
      await producer.connect();
      // InitProducerId for the transactional id happens with the first transaction: an empty one fences now.
      const fence = await producer.transaction();
      await fence.abort();
      const [found] = await h.admin.fetchOffsets({ groupId: group, topics: [topic] });
      const at = found?.partitions.find((p) => p.partition === partition);
      const offset = Number(at?.offset ?? -1);
      // A batch this cache's last run committed to the broker but not to the cache: its inbox rows are kept now.
      await options.cache.journal?.settle({ group, topic, partition }, { offset, metadata: at?.metadata });
      return { id: ++sessionCount, producer, committed: offset, inherited: tokenOf(at?.metadata) };
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      throw describeKafkaFailure(h.settings, error, `starting the transactional producer of ${topic}[${partition}]`);
    }
  };

  const sessionFor = (topic: string, partition: number): Promise<Session> => {
    const key = slot(topic, partition);
    let session = sessions.get(key);
    if (!session) {
      session = openSession(topic, partition);
      sessions.set(key, session);
      session.catch(() => sessions.delete(key));
    }
    return session;
  };

  /** The partition's atomic commit: what its batch writes and the offset after it, in one transaction. */
  const commitBatch = async (topic: string, partition: number, out: OutgoingRecord[], next: number, first: number) => {
    const session = await sessionFor(topic, partition);
    if (next <= session.committed) return;
    const token = options.cache.journal?.keep({ group, topic, partition, from: first, upTo: next });
    const transaction = await session.producer.transaction();
    const committing = `committing ${topic}[${partition}] up to offset ${next}`;
    let doing = committing;
    try {
      const byTopic = new Map<string, Message[]>();
      for (const record of out) {
        const list = byTopic.get(record.topic);
        if (list) list.push(message(record));
        else byTopic.set(record.topic, [message(record)]);
      }
      // One request for every topic; a refusal (a record too large for its topic) names the topics it went to.
      if (byTopic.size > 0) {
        doing = `sending to ${[...byTopic.keys()].join(', ')}`;
        await transaction.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([name, messages]) => ({ topic: name, messages })) });
      }
      doing = committing;
      // The metadata names the batch (its journal's token) and the one the session found committed before it.
      const offsetOf: PartitionOffset & { metadata?: string } = {
        partition,
        offset: String(next),
        ...(token ? { metadata: offsetMetadata(token, session.inherited) } : {}),
      };
      await transaction.sendOffsets({ consumerGroupId: group, topics: [{ topic, partitions: [offsetOf] }] });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      // A producer that failed mid-transaction is not trusted again: the next attempt starts a new session.
      await closeSession(slot(topic, partition));
      if (isFenced(error)) throw new RetryLater(FENCED_RETRY_MS);
      throw describeKafkaFailure(h.settings, error, doing);
    }
    session.committed = next;
  };

  const retryLater = (c: Consumer, topic: string, partition: number, offset: number, delayMs: number) => {
    const key = slot(topic, partition);
    c.pause([{ topic, partitions: [partition] }]);
    c.seek({ topic, partition, offset: String(offset) });
    clearTimeout(waiting.get(key));
    waiting.set(
      key,
      setTimeout(() => {
        waiting.delete(key);
        if (!signal.aborted && !halted.has(topic) && !halted.has(key)) c.resume([{ topic, partitions: [partition] }]);
      }, delayMs),
    );
  };

  const eachBatch = async (payload: EachBatchPayload) => {
    const { batch } = payload;
    const heartbeat = () => payload.heartbeat();
    const c = consumer!;
    const { topic, partition } = batch;
    const key = slot(topic, partition);
    const stale = () => signal.aborted || !payload.isRunning() || payload.isStale();
    if (stale()) return;
    active++;
    let outcome;
    try {
      outcome = await handleBatches({
        records: batch.messages.map((msg) => toRecord({ topic, partition, message: msg })),
        handler,
        context: { heartbeat, signal, retriesLater: true },
        begin: async () => {
          const session = await sessionFor(topic, partition);
          return { session: session.id, committed: session.committed };
        },
        commit: (out, next, first) => commitBatch(topic, partition, out, next, first),
        cache: options.cache,
        bounds: options.bounds ?? DEFAULT_BATCH,
        now: Date.now,
        halted: stale,
        heartbeat,
      });
    } finally {
      active--;
      if (active === 0) idle?.();
    }
    records += outcome.handled;
    if (outcome.committed !== undefined && outcome.committed > (positions.get(key) ?? 0)) {
      payload.resolveOffset(String(outcome.committed - 1));
      positions.set(key, outcome.committed);
    }
    if (outcome.error !== undefined) {
      if (outcome.error instanceof RetryLater) {
        const from = outcome.retryFrom ?? outcome.committed ?? Number(batch.firstOffset() ?? 0);
        return retryLater(c, topic, partition, from, outcome.error.delayMs);
      }
      failure ??= outcome.error;
      stopping.abort();
      return;
    }
    // Past a transaction marker that ends the batch.
    const last = Number(batch.lastOffset());
    if (!stale() && last + 1 > (positions.get(key) ?? 0)) {
      payload.resolveOffset(batch.lastOffset());
      positions.set(key, last + 1);
    }
  };

  const run = async (): Promise<ConsumeSummary> => {
    const c = h.kafka.consumer({
      groupId: group,
      rebalanceTimeout: 30_000,
      allowAutoTopicCreation: false,
      retry: h.retry,
      ...groupConsumerTuning(h.settings, { sessionTimeoutMs: SESSION_TIMEOUT_MS, heartbeatIntervalMs: 1_000 }),
    });
    c.on(c.events.GROUP_JOIN, ({ payload }) => {
      const now = Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) =>
        partitions.map((partition) => ({ topic, partition })),
      );
      const held = new Set(now.map((p) => slot(p.topic, p.partition)));
      // A partition given away: its producer goes, so that holding it again starts (and fences) anew.
      for (const key of [...sessions.keys()]) if (!held.has(key)) void closeSession(key);
      const gained = now.filter((p) => !assignment.some((a) => a.topic === p.topic && a.partition === p.partition));
      assignment = now;
      joined = true;
      for (const target of halted) {
        const [topic, partition] = target.split('\u0000');
        c.pause([{ topic, ...(partition === undefined ? {} : { partitions: [Number(partition)] }) }]);
      }
      // A batch a run before left pending in the cache's journal is settled now, not when the partition next has a record.
      for (const p of gained) {
        if (options.cache.journal?.pending({ group, ...p })) sessionFor(p.topic, p.partition).catch(() => undefined);
      }
      if (gained.length > 0) onAssigned?.(gained);
    });
    c.on(c.events.END_BATCH_PROCESS, ({ payload }) => {
      // A batch of transaction markers or aborted records only: the position moves past it.
      if (payload.batchSize !== 0) return;
      const key = slot(payload.topic, payload.partition);
      const next = Number(payload.lastOffset) + 1;
      if (next > (positions.get(key) ?? 0)) positions.set(key, next);
    });
    c.on(c.events.CRASH, ({ payload }) => {
      if (payload.restart) h.log.warn(`Kafka consumer restarting after: ${payload.error.message}`);
      else {
        failure ??= describeKafkaFailure(h.settings, payload.error, `consuming ${options.topics.join(', ')}`);
        stopping.abort();
      }
    });
    consumer = c;
    try {
      await untilAnswered(() => c.connect(), signal);
      await untilAnswered(() => c.subscribe({ topics: options.topics, fromBeginning: options.start.from !== 'latest' }), signal);
      await c.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: Math.max(1, options.partitionsConcurrently ?? 1),
        eachBatch,
      });
    } catch (error) {
      await c.disconnect().catch(() => undefined);
      throw describeKafkaFailure(h.settings, error, `consuming ${options.topics.join(', ')}`);
    }
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    for (const timer of waiting.values()) clearTimeout(timer);
    waiting.clear();
    if (active > 0) await new Promise<void>((resolve) => (idle = resolve));
    await c.disconnect().catch((error: unknown) => h.log.debug(`kafka consumer disconnect: ${String(error)}`));
    await Promise.all([...sessions.keys()].map((key) => closeSession(key)));
    consumer = undefined;
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error('the consumer failed', { cause: failure });
    return { records, reason: 'aborted' };
  };

  const done = run();
  done.catch(() => undefined);

  const pauseOrResume = (op: 'pause' | 'resume', topic: string, partition?: number) => {
    const key = partition === undefined ? topic : slot(topic, partition);
    if (op === 'pause') halted.add(key);
    else halted.delete(key);
    if (!consumer) return;
    const target = [{ topic, ...(partition === undefined ? {} : { partitions: [partition] }) }];
    if (op === 'pause') consumer.pause(target);
    else consumer.resume(target);
  };

  return {
    done,
    pause: (topic, partition) => pauseOrResume('pause', topic, partition),
    resume: (topic, partition) => pauseOrResume('resume', topic, partition),
    assignment: () => [...assignment],
    lag: async (): Promise<PartitionLag[]> => {
      // Before the first assignment there is no lag to tell, which is not the same as none.
      if (!joined) throw new TransientError('the consumer has not joined its group yet');
      const held = [...assignment];
      const topics = [...new Set(held.map((a) => a.topic))];
      const ends = new Map<Slot, { low: number; high: number }>();
      for (const topic of topics)
        for (const { partition, low, high } of await h.admin.fetchTopicOffsets(topic))
          ends.set(slot(topic, partition), { low: Number(low), high: Number(high) });
      const committed = new Map<Slot, number>();
      if (topics.length > 0)
        for (const { topic, partitions } of await h.admin.fetchOffsets({ groupId: group, topics }))
          for (const { partition, offset } of partitions) if (Number(offset) >= 0) committed.set(slot(topic, partition), Number(offset));
      return held.map(({ topic, partition }) => {
        const key = slot(topic, partition);
        const end = ends.get(key) ?? { low: 0, high: 0 };
        // Not fetched yet: where the group's committed offset (or the topic's start) puts it.
        return { topic, partition, position: positions.get(key) ?? committed.get(key) ?? end.low, end: end.high };
      });
    },
    stop: async () => {
      stopping.abort();
      await done.catch(() => undefined);
    },
  };
}

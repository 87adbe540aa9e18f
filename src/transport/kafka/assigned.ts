/**
 * Reading without a consumer group, as `kcat -C` does: every partition of the
 * topics is assigned here, its start was resolved by consume.ts (ListOffsets,
 * by timestamp for --since), and each partition's leader is sent Fetch requests
 * in a loop. Nothing is created on the broker: no group, no member, no offsets,
 * so a read needs no group ACL and never waits for a group's first rebalance
 * (group.initial.rebalance.delay.ms, 3 s on a stock broker).
 *
 * The connections, TLS, SASL and the fetch response decoding (codecs, the
 * lean record decoder of the bundle) are kafkajs' own: a cluster made by the
 * Kafka client as it makes one for its consumers, its brokers' fetch(), and
 * kafkajs' consumer Batch (the records before the fetched offset, control
 * records and aborted transactions left out, read_committed as kafkajs' consumer
 * reads by default). Errors are recovered from as kafkajs' consumer group does
 * (consumerGroup.js, recoverFromFetch): stale metadata (NOT_LEADER, unknown
 * leader epoch, a broker gone) refreshes the metadata and fetches from the new
 * leader; OFFSET_OUT_OF_RANGE is said and the partition read on from the
 * earliest offset (the latest where the read started at the end), as kcat does
 * with auto.offset.reset.
 *
 * Records go to a handler one by one (tail, the investigator without a group),
 * or, with onBatch, each partition's fetched batch goes on as one ChangelogBatch
 * (the knowledge changelog, src/transport/kafka/changelog.ts): its records and
 * where reading goes on after it, past transaction markers and aborted records,
 * so that a batch holding nothing but markers still moves the reader to the end.
 */
import type { Admin, Kafka, KafkaMessage, RetryOptions } from 'kafkajs';
import Batch from 'kafkajs/src/consumer/batch.js';
import { RetryLater, type ConsumeOptions, type ConsumeSummary, type RecordContext, type RecordHandler } from '../port.js';
import type { ChangelogBatch } from '../knowledge-port.js';
import { sleep } from '../../core/sleep.js';
import { describeKafkaFailure, isRetriableKafkaFailure } from './errors.js';
import type { Logger } from '../../core/logger.js';
import type { KafkaSettings } from '../../config/kafka.js';
import { FETCH_WAIT_MAX_MS, partitionFetchBytes } from '../../config/kafka-options.js';

/** kafkajs' read_committed (protocol/isolationLevel.js), its consumer's default and thoth's until now. */
const READ_COMMITTED = 1;
/** How long a leader's loop waits before looking again when all of its partitions are held back. */
const IDLE_MS = 50;
/** Fetch errors after which kafkajs refreshes the metadata (consumerGroup.js, STALE_METADATA_ERRORS). */
const STALE_METADATA = new Set([
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'UNKNOWN_TOPIC_OR_PARTITION',
]);

interface FetchedPartition {
  partition: number;
  errorCode: number;
  highWatermark: string;
  messages: KafkaMessage[];
  abortedTransactions: unknown[];
}
interface ClusterBroker {
  fetch(request: {
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    isolationLevel: number;
    topics: Array<{ topic: string; partitions: Array<{ partition: number; fetchOffset: string; maxBytes: number }> }>;
  }): Promise<{ responses: Array<{ topicName: string; partitions: FetchedPartition[] }> }>;
}
/** The part of kafkajs' Cluster (src/cluster/index.js) read here. */
interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findTopicPartitionMetadata(topic: string): Array<{ partitionId: number }>;
  findBroker(query: { nodeId: string }): Promise<ClusterBroker>;
  removeBroker(address: { host: string; port: number }): void;
}

/**
 * A cluster as the Kafka client makes one for a consumer (its brokers, TLS, SASL, socket factory,
 * timeouts and retry settings): kafkajs keeps the factory under a private symbol of the client.
 */
function clusterOf(kafka: Kafka, options: { metadataMaxAge: number }): Cluster {
  const create = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const factory = create === undefined ? undefined : (kafka as unknown as Record<symbol, unknown>)[create];
  if (typeof factory !== 'function') throw new Error('this kafkajs makes no cluster for a reader without a group (a new kafkajs?)');
  return (factory as (o: object) => Cluster)({ ...options, allowAutoTopicCreation: false, isolationLevel: READ_COMMITTED });
}

type Outcome = { reason: ConsumeSummary['reason'] } | { error: unknown };

/** consume.ts' KafkaHandles (not imported: consume.ts imports this module). */
interface Handles {
  kafka: Kafka;
  admin: Admin;
  settings: KafkaSettings;
  log: Logger;
  retry: RetryOptions;
}

interface AssignedReadBase {
  h: Handles;
  topics: string[];
  /** Each partition's next offset (read and updated here) and its high-water mark at the start. */
  positions: Map<string, number>;
  ends: Map<string, number>;
  /** With exitAtEnd: the partitions not yet at their end (emptied here). */
  unfinished: Set<string>;
  options: ConsumeOptions;
  /** Aborted once the consumption is to stop (by settle). */
  signal: AbortSignal;
  settle(outcome: Outcome): void;
  outcome: Promise<Outcome>;
  isHalted(topic: string, partition: number): boolean;
  slot(topic: string, partition: number): string;
  toRecord(r: { topic: string; partition: number; message: KafkaMessage }): Parameters<RecordHandler>[0];
}

/**
 * Either each record to `handler`, or each fetched batch of a partition to `onBatch`: its records
 * (none where it held only transaction markers, aborted records or records compacted away) and
 * nextOffset, where reading goes on. A rejected onBatch ends the read with its error (no RetryLater);
 * with exitAtEnd a partition is finished once a batch's nextOffset reaches its end offset.
 */
export type AssignedRead = AssignedReadBase &
  ({ handler: RecordHandler; onBatch?: undefined } | { onBatch: (batch: ChangelogBatch) => Promise<void>; handler?: undefined });

interface Assignment {
  topic: string;
  partition: number;
  key: string;
  /** The leader's node id, as the metadata last said. */
  leader?: string;
  /** Fetched or being handled: no other leader's loop takes it meanwhile (a leader change). */
  busy: boolean;
  /** Held back until then (a record handed back with RetryLater). */
  notBefore: number;
}

/**
 * Where reading a partition goes on once a fetched batch of it is read to its end: after its last record at or after
 * the offset asked for (control records and aborted ones included: no handler sees them). A fetch that returned
 * records, none of them at or after that offset, returned the rest of a record batch whose records from there on were
 * compacted away (or removed as old tombstones): the offset asked for holds nothing, and reading steps past it, as
 * kafkajs' consumer does; else the same fetch would come back for ever. Undefined when the fetch returned nothing.
 */
function nextOffsetAfter(batch: Batch): number | undefined {
  const last = batch.messagesWithinOffset.at(-1);
  if (last !== undefined) return Number(last.offset) + 1;
  return batch.rawMessages.length > 0 ? Number(batch.fetchedOffset) + 1 : undefined;
}

export async function readAssigned(r: AssignedRead): Promise<ConsumeSummary> {
  const { h, options, signal } = r;
  const client = h.settings.client ?? {};
  const maxBytesPerPartition = partitionFetchBytes(h.settings);
  const fetchRequest = {
    maxWaitTime: client.fetchWaitMaxMs ?? FETCH_WAIT_MAX_MS,
    minBytes: client.fetchMinBytes ?? 1,
    maxBytes: client.fetchMaxBytes ?? 10_485_760,
    isolationLevel: READ_COMMITTED,
  };
  const concurrency = Math.max(1, options.partitionsConcurrently ?? 1);
  const doing = `consuming ${r.topics.join(', ')}`;
  const cluster = clusterOf(h.kafka, { metadataMaxAge: client.metadataMaxAgeMs ?? 300_000 });
  const assignments = [...r.positions.keys()].map((key): Assignment => {
    const [topic, partition] = key.split('\u0000') as [string, string];
    return { topic, partition: Number(partition), key, busy: false, notBefore: 0 };
  });
  const context: RecordContext = { heartbeat: async () => {}, signal, retriesLater: true };
  let records = 0;
  let active = 0;
  let idle: (() => void) | undefined;
  const loops = new Map<string, Promise<void>>();
  // At most `concurrency` partitions handled at once, whichever leader's fetch they came from.
  const slots = (() => {
    let free = concurrency;
    const queue: Array<() => void> = [];
    return {
      take: () => (free > 0 ? ((free -= 1), Promise.resolve()) : new Promise<void>((resolve) => queue.push(resolve))),
      give: () => {
        const next = queue.shift();
        if (next) next();
        else free += 1;
      },
    };
  })();

  const finish = (a: Assignment) => {
    r.unfinished.delete(a.key);
    if (r.unfinished.size === 0) r.settle({ reason: 'end' });
  };
  const wanted = (a: Assignment) => !(options.exitAtEnd && !r.unfinished.has(a.key)) && !r.isHalted(a.topic, a.partition);

  /**
   * Partitions a topic gained since the read began, as the metadata (refreshed every metadata.max.age.ms, 5 minutes by
   * default, as Kafka's consumers find them) shows them: read from their first record, since every record in them came
   * after the read began. Not with --exit-at-end, which reads the partitions there were to their ends then, nor with
   * --partition, which reads those it names.
   */
  const addNewPartitions = () => {
    if (options.exitAtEnd || options.partitions !== undefined) return;
    for (const topic of r.topics) {
      let shown: Array<{ partitionId: number }>;
      try {
        shown = cluster.findTopicPartitionMetadata(topic);
      } catch {
        continue; // no metadata yet
      }
      for (const { partitionId } of shown) {
        const key = r.slot(topic, partitionId);
        if (r.positions.has(key)) continue;
        h.log.notice(`${topic}: partition ${partitionId} is new; reading it from its first record`);
        r.positions.set(key, 0);
        assignments.push({ topic, partition: partitionId, key, busy: false, notBefore: 0 });
      }
    }
  };

  /**
   * Each partition's leader, from the cluster's metadata; a loop for every leader that has none yet.
   * A topic whose metadata names no leader keeps the leaders it had (the supervisor below asks again).
   */
  const assignLeaders = () => {
    addNewPartitions();
    for (const topic of r.topics) {
      const mine = assignments.filter((a) => a.topic === topic);
      let leaders: Record<string, number[]>;
      try {
        leaders = cluster.findLeaderForPartitions(
          topic,
          mine.map((a) => a.partition),
        );
      } catch (error) {
        h.log.debug(`no leaders known for ${topic} yet: ${String(error)}`);
        continue;
      }
      for (const a of mine) a.leader = Object.keys(leaders).find((leader) => leaders[leader].includes(a.partition));
    }
    for (const leader of new Set(assignments.map((a) => a.leader)))
      if (leader !== undefined && !loops.has(leader)) loops.set(leader, leaderLoop(leader));
  };

  let refreshing: Promise<void> | undefined;
  const refresh = (force: boolean) =>
    (refreshing ??= (force ? cluster.refreshMetadata() : cluster.refreshMetadataIfNecessary())
      .then(assignLeaders)
      .finally(() => (refreshing = undefined)));

  /** What kafkajs' consumer does after a failed fetch; throws what it would crash on. */
  const recover = async (error: unknown, attempt: number) => {
    const e = error as { name?: string; type?: string; topic?: string; partition?: number; host?: string; port?: number; message?: string };
    if (e.name === 'KafkaJSOffsetOutOfRange' && e.topic !== undefined && e.partition !== undefined) {
      const key = r.slot(e.topic, e.partition);
      const offsets = await h.admin.fetchTopicOffsets(e.topic).then(
        (all) => all.find((o) => o.partition === e.partition),
        (failure: unknown) => void h.log.debug(`reading the offsets of ${e.topic}: ${String(failure)}`),
      );
      if (!offsets) return void (await sleep(h.retry.initialRetryTime ?? 300, signal));
      const [low, high] = [Number(offsets.low), Number(offsets.high)];
      const latest = options.start.from === 'latest';
      const next = latest ? high : low;
      h.log.warn(
        `${e.topic}/${e.partition}: offset ${r.positions.get(key)} is out of range (the partition holds ${low} to ${high}); reading on from the ${latest ? 'latest' : 'earliest'} offset, ${next}`,
      );
      r.positions.set(key, next);
      const a = assignments.find((x) => x.key === key);
      if (a && options.exitAtEnd && next >= (r.ends.get(key) ?? 0) && r.unfinished.has(key)) finish(a);
      return;
    }
    if (e.name === 'KafkaJSConnectionClosedError' && e.host !== undefined && e.port !== undefined)
      cluster.removeBroker({ host: e.host, port: e.port });
    const stale =
      (e.type !== undefined && STALE_METADATA.has(e.type)) ||
      ['KafkaJSTopicMetadataNotLoaded', 'KafkaJSBrokerNotFound', 'KafkaJSConnectionClosedError', 'KafkaJSConnectionError'].includes(
        e.name ?? '',
      );
    if (!stale && !isRetriableKafkaFailure(error)) throw error;
    h.log.debug(`fetching ${doing}: ${e.message ?? String(error)}; refreshing the metadata and fetching again`);
    // kafkajs' consumer gives up after its retries and restarts; a reader without a group just goes on.
    if (attempt > 0 && attempt % Math.max(1, h.retry.retries ?? 5) === 0)
      h.log.warn(`Kafka consumer restarting after: ${e.message ?? String(error)}`);
    const backoff = Math.min(h.retry.maxRetryTime ?? 30_000, (h.retry.initialRetryTime ?? 300) * 2 ** Math.min(attempt, 10));
    await sleep(backoff, signal);
    if (!signal.aborted) await refresh(true).catch((failure: unknown) => h.log.debug(`refreshing the metadata: ${String(failure)}`));
  };

  /** One partition's fetched batch handed on whole (onBatch), and where reading goes on after it. */
  const handWhole = async (a: Assignment, batch: Batch, onBatch: (batch: ChangelogBatch) => Promise<void>): Promise<void> => {
    if (signal.aborted || r.isHalted(a.topic, a.partition)) return;
    const next = nextOffsetAfter(batch);
    if (next === undefined) return; // nothing new on the partition
    const handed = batch.messages.map((message) => r.toRecord({ topic: a.topic, partition: a.partition, message }));
    active += 1;
    try {
      await onBatch({ topic: a.topic, partition: a.partition, records: handed, nextOffset: next });
      if (options.batchDone && handed.length > 0) await options.batchDone();
    } catch (error) {
      r.settle({ error });
      return;
    } finally {
      active -= 1;
      if (active === 0) idle?.();
    }
    records += handed.length;
    if (next > (r.positions.get(a.key) ?? 0)) r.positions.set(a.key, next);
    if (options.exitAtEnd && next >= (r.ends.get(a.key) ?? 0) && r.unfinished.has(a.key)) finish(a);
  };

  /** One partition's records of one fetch, in order, and then where reading goes on. */
  const handleBatch = async (a: Assignment, batch: Batch, handler: RecordHandler): Promise<void> => {
    const end = r.ends.get(a.key) ?? 0;
    let complete = true;
    try {
      for (const message of batch.messages) {
        if (signal.aborted || r.isHalted(a.topic, a.partition)) {
          complete = false;
          break;
        }
        const offset = Number(message.offset);
        if (options.exitAtEnd && offset >= end) {
          finish(a);
          complete = false;
          break;
        }
        active += 1;
        try {
          await handler(r.toRecord({ topic: a.topic, partition: a.partition, message }), context);
        } catch (error) {
          complete = false;
          if (error instanceof RetryLater) a.notBefore = Date.now() + error.delayMs;
          else r.settle({ error });
          break;
        } finally {
          active -= 1;
          if (active === 0) idle?.();
        }
        records += 1;
        r.positions.set(a.key, offset + 1);
        if (options.exitAtEnd && offset + 1 >= end) {
          finish(a);
          complete = false;
          break;
        }
      }
    } finally {
      if (options.batchDone && batch.messages.length > 0) await options.batchDone().catch((error: unknown) => r.settle({ error }));
    }
    // A batch read to its end moves past what it held that no handler sees: a transaction's commit or
    // abort marker, an aborted transaction's records, records compacted away. --exit-at-end ends there.
    const next = nextOffsetAfter(batch);
    if (!complete || next === undefined || signal.aborted) return;
    if (next > (r.positions.get(a.key) ?? 0)) r.positions.set(a.key, next);
    if (options.exitAtEnd && next >= end && r.unfinished.has(a.key)) finish(a);
  };

  type Fetched = Awaited<ReturnType<ClusterBroker['fetch']>>['responses'];
  /**
   * A fetch of some partitions (busy until it is handled), each from the offset in `fetched`, and the leader's answer:
   * none when they moved to another leader meanwhile (its loop fetches them).
   */
  interface Round {
    partitions: Assignment[];
    fetched: Map<string, string>;
    answer: Promise<{ broker: ClusterBroker; responses: Fetched } | undefined>;
  }

  /**
   * The next fetch of a leader's partitions, sent before the records of the last one are handled (librdkafka keeps
   * fetching ahead of its application as well): the broker reads and sends while they are handled, not after. A
   * partition the last fetch brought records of is fetched from the offset after them, the others from where they
   * are; where handling stops short (a record handed back, a pause) the records fetched ahead are from elsewhere than
   * the partition's position, and left. None for a partition at its end with --exit-at-end (a fetch there would wait
   * for records that are not wanted).
   */
  const fetchAhead = (
    broker: ClusterBroker,
    leader: string,
    ready: Assignment[],
    batches: Array<[Assignment, Batch]>,
  ): Round | undefined => {
    const after = new Map<Assignment, number>();
    for (const [a, batch] of batches) {
      const next = nextOffsetAfter(batch);
      if (next !== undefined) after.set(a, next);
    }
    const now = Date.now();
    const fetched = new Map<string, string>();
    const partitions: Assignment[] = [];
    // Every partition the leader leads that is due, as a round of its own would take them: those of this round, and
    // any other no loop holds (one handed back earlier whose wait is over).
    for (const a of assignments) {
      if (a.leader !== leader || (a.busy && !ready.includes(a)) || !wanted(a) || now < a.notBefore) continue;
      const from = after.get(a) ?? r.positions.get(a.key) ?? 0;
      if (options.exitAtEnd && from >= (r.ends.get(a.key) ?? 0)) continue;
      fetched.set(a.key, String(from));
      partitions.push(a);
    }
    if (partitions.length === 0 || signal.aborted) return undefined;
    for (const a of partitions) a.busy = true;
    const answer = broker
      .fetch({ ...fetchRequest, topics: fetchTopics(partitions, fetched) })
      .then(({ responses }) => ({ broker, responses }));
    // Awaited by the next round; until then a failure is not an unhandled one.
    answer.catch(() => undefined);
    return { partitions, fetched, answer };
  };

  const fetchTopics = (partitions: Assignment[], fetched: Map<string, string>) =>
    r.topics
      .map((topic) => ({
        topic,
        partitions: partitions
          .filter((a) => a.topic === topic)
          .map((a) => ({ partition: a.partition, fetchOffset: fetched.get(a.key)!, maxBytes: maxBytesPerPartition })),
      }))
      .filter((t) => t.partitions.length > 0);

  /** Fetches from one leader the partitions it leads, until it leads none or the read stops. */
  const leaderLoop = async (leader: string): Promise<void> => {
    await Promise.resolve(); // registered in `loops` before it runs
    let failures = 0;
    /** Partitions stay busy while a fetch ahead holds them: no other leader's loop fetches them meanwhile. */
    let ahead: Round | undefined;
    try {
      while (!signal.aborted) {
        let round: Round;
        if (ahead !== undefined) {
          round = ahead;
          ahead = undefined;
        } else {
          const led = assignments.filter((a) => a.leader === leader);
          if (led.length === 0) return;
          const now = Date.now();
          const ready = led.filter((a) => !a.busy && now >= a.notBefore && wanted(a));
          if (ready.length === 0) {
            await sleep(IDLE_MS, signal);
            continue;
          }
          for (const a of ready) a.busy = true;
          const fetched = new Map(ready.map((a) => [a.key, String(r.positions.get(a.key) ?? 0)]));
          const answer = (async () => {
            await refresh(false);
            if (ready.some((a) => a.leader !== leader)) return undefined;
            const broker = await cluster.findBroker({ nodeId: leader });
            const { responses } = await broker.fetch({ ...fetchRequest, topics: fetchTopics(ready, fetched) });
            return { broker, responses };
          })();
          round = { partitions: ready, fetched, answer };
        }
        const { partitions: ready, fetched } = round;
        let answered;
        try {
          answered = await round.answer;
          failures = 0;
        } catch (error) {
          for (const a of ready) a.busy = false;
          if (signal.aborted) return;
          await recover(error, failures++);
          continue;
        }
        if (answered === undefined) {
          for (const a of ready) a.busy = false;
          continue;
        }
        const { broker, responses } = answered;
        try {
          const batches: Array<[Assignment, Batch]> = [];
          for (const { topicName, partitions } of responses) {
            for (const data of partitions) {
              const a = ready.find((x) => x.topic === topicName && x.partition === data.partition);
              // A partition paused, handed back or moved on since it was asked for is fetched again later.
              if (!a || fetched.get(a.key) !== String(r.positions.get(a.key))) continue;
              batches.push([a, new Batch(topicName, fetched.get(a.key)!, data)]);
            }
          }
          ahead = fetchAhead(broker, leader, ready, batches);
          let next = 0;
          const worker = async () => {
            while (next < batches.length && !signal.aborted) {
              const [a, batch] = batches[next++];
              if (!wanted(a)) continue;
              await slots.take();
              try {
                if (r.onBatch) await handWhole(a, batch, r.onBatch);
                else await handleBatch(a, batch, r.handler);
              } finally {
                slots.give();
              }
            }
          };
          await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
        } finally {
          for (const a of ready) if (!ahead?.partitions.includes(a)) a.busy = false;
        }
      }
    } catch (error) {
      if (!signal.aborted) r.settle({ error: describeKafkaFailure(h.settings, error, doing) });
    } finally {
      for (const a of ahead?.partitions ?? []) a.busy = false;
      loops.delete(leader);
    }
  };

  try {
    await cluster.connect();
    await cluster.addMultipleTargetTopics(r.topics);
    assignLeaders();
  } catch (error) {
    await cluster.disconnect().catch(() => {});
    throw describeKafkaFailure(h.settings, error, doing);
  }
  // A partition without a leader, or whose leader's loop has ended, is looked up again every second.
  const supervisor = (async () => {
    while (!signal.aborted) {
      await sleep(1_000, signal);
      if (signal.aborted) return;
      // Asked again at once for a partition without a leader; else once the metadata is metadata.max.age.ms old.
      const leaderless = assignments.some((a) => wanted(a) && (a.leader === undefined || !loops.has(a.leader)));
      await refresh(leaderless).catch((error: unknown) => h.log.debug(`refreshing the metadata: ${String(error)}`));
    }
  })();
  const result = await r.outcome;
  await supervisor;
  // Let handlers that are running finish (they see the abort), then close the connections.
  if (active > 0) await new Promise<void>((resolve) => (idle = resolve));
  await cluster.disconnect().catch((error: unknown) => h.log.debug(`kafka reader disconnect: ${String(error)}`));
  if ('error' in result) throw result.error;
  return { records, reason: result.reason };
}

/**
 * The small interface both transports implement: Kafka (src/transport/kafka/client.ts,
 * the only file that imports kafkajs) and the embedded broker, an append-only
 * log inside the local SQLite file (src/transport/embedded.ts).
 *
 * Values travel as strings (UTF-8 JSON bodies exactly as serialised by
 * src/messages); decoding and validation happen above this layer. The
 * record shapes themselves are the messages' (src/messages/broker-records.ts),
 * since the cache's embedded log stores them too.
 */
import { UserError } from '../core/errors.js';
import type { ConsumedRecord, OutgoingRecord, RecordPosition, TopicInfo } from '../messages/broker-records.js';

export type { ConsumedRecord, OutgoingRecord, RecordPosition, TopicInfo } from '../messages/broker-records.js';

/** Where a partition is read from; `back`: that many records before its end (kcat's `-o -N`), or its start. */
export type StartPosition =
  | { from: 'earliest' }
  | { from: 'latest' }
  | { from: 'offset'; offset: number }
  | { from: 'end'; back: number }
  | { from: 'timestamp'; timestamp: number };

export interface ConsumeOptions {
  /** Full topic names. Topics that do not exist yet are waited for (Kafka) or read as empty (embedded). */
  topics: string[];
  /**
   * Consumer group. With a group, offsets are committed after each record's
   * handler resolves and a restart continues after the last committed record;
   * `start` applies only where the group has no committed offset.
   * Without a group nothing is committed and `start` always applies.
   */
  group?: string;
  start: StartPosition;
  /**
   * Only these partitions of each topic (kcat's -p; without a group only: a group's partitions are the
   * group's to assign). A partition a topic does not have is refused (`onlyPartitions`).
   */
  partitions?: readonly number[];
  /** Stop once every partition has reached the end offset it had when consumption began. */
  exitAtEnd?: boolean;
  signal: AbortSignal;
  /** How many partitions are handled at once; order is kept within a partition. Default 1. */
  partitionsConcurrently?: number;
  /**
   * Called after the handler has resolved for the records of each batch the transport read (a
   * fetch of one partition on Kafka, a read of the embedded log), before it reads on: a handler
   * may keep what it writes and write it here, once per batch. On Kafka a group's offsets of the
   * batch are committed after it (the embedded broker commits a group's record by record).
   */
  batchDone?: () => Promise<void>;
}

/**
 * The partitions of `topic` to read: all of `available`, or those of `wanted` (ConsumeOptions.partitions), each of
 * which the topic must have.
 */
export function onlyPartitions(topic: string, available: readonly number[], wanted: readonly number[] | undefined): number[] {
  if (wanted === undefined) return [...available];
  const missing = wanted.filter((p) => !available.includes(p));
  if (missing.length > 0) throw noSuchPartition(topic, available, missing);
  return available.filter((p) => wanted.includes(p));
}

/** The refusal of a partition the topic does not have (to read, or to write to), naming those it has. */
export function noSuchPartition(topic: string, available: readonly number[], missing: readonly number[]): UserError {
  const sorted = [...available].sort((a, b) => a - b);
  const range =
    sorted.length > 1 && sorted[sorted.length - 1] - sorted[0] === sorted.length - 1
      ? `${sorted[0]}-${sorted[sorted.length - 1]}`
      : sorted.join(', ');
  const count = sorted.length;
  return new UserError(
    `topic ${topic} has no partition ${missing.join(', ')}: it has ${count} partition${count === 1 ? '' : 's'} (${range})`,
  );
}

/** Given to the handler with each record. */
export interface RecordContext {
  /** Keep group membership alive while a handler waits (retry backoff, back-pressure). */
  heartbeat(): Promise<void>;
  /** True once the consumer is stopping; a handler waiting in a retry loop should give up. */
  readonly signal: AbortSignal;
  /**
   * The transport takes RetryLater: a handler may hand its record back instead of waiting in
   * place, so that one record's backoff holds back its own partition and no other.
   */
  readonly retriesLater?: boolean;
  /** Set by transports that commit a record together with what its handler writes (src/transport/knowledge-port.ts). */
  readonly exactlyOnce?: ExactlyOnce;
  /**
   * Where records are committed in batches (src/transport/batch.ts): commits
   * the records before this one now, so that a handler about to wait (for the
   * knowledge topic, back-pressure, a retry in place) holds nothing open.
   * Throws RetryLater when that commit failed (the batch is read again).
   */
  readonly flush?: () => Promise<void>;
  /**
   * Where records are committed in batches and the cache marks each record's writes
   * (src/transport/batch.ts): work the handler started and leaves running when it returns
   * (workflow creates), so that the next records are handled meanwhile. Nothing is committed
   * before it settles. It resolves to what finishes the record, called in record order once the
   * records before it stand (it may commit more, and report); when it fails, the record's writes
   * and every later record's are undone and the record is handled again, without `defer`.
   * Called after the record's first write.
   */
  readonly defer?: (work: Promise<() => Promise<void> | void>) => void;
}

/**
 * One record's atomic commit: what its handler writes and the record's offset
 * go together or not at all (Kafka: a transaction of the partition's own
 * transactional producer with sendOffsets; the embedded broker: one SQLite
 * transaction; a `--from` file: the in-process queue).
 */
export interface ExactlyOnce {
  /**
   * Makes this member the partition's only writer if it is not yet (fencing
   * whoever held it before), and tells whether the group's committed offset is
   * already past the record: a member that held the partition before handled
   * it, and nothing is to be done or committed for it. `session` changes each
   * time this member (re)gains the partition.
   */
  readonly begin: () => Promise<{ session: number; handled: boolean }>;
  /**
   * Writes `records` and commits the record's offset (offset + 1) together;
   * throws when nothing of it was committed. `apply` runs once it is durable
   * (inside the same transaction on the embedded broker). A record `begin`
   * called handled is not committed again.
   */
  readonly commit: (records: OutgoingRecord[], apply?: () => void) => Promise<void>;
}

/**
 * Thrown by a handler (where `retriesLater`) to have its record delivered again after
 * `delayMs`: the transport leaves it uncommitted, holds back its partition meanwhile, and
 * goes on with the others. Not an error of the consumption.
 */
export class RetryLater extends Error {
  override readonly name = 'RetryLater';
  constructor(readonly delayMs: number) {
    super(`retry in ${delayMs} ms`);
  }
}

export type RecordHandler = (record: ConsumedRecord, context: RecordContext) => Promise<void>;

export interface ConsumeSummary {
  records: number;
  /** Why consumption ended. */
  reason: 'end' | 'aborted';
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** Next offset the consumer will read. */
  position: number;
  /** Offset the next produced record will get. */
  end: number;
}

/**
 * A running consumption. The handler is awaited for each record in turn
 * within a partition; when the handler throws, consumption stops and `done`
 * rejects with that error, and the record's offset is NOT committed.
 */
export interface Consumption {
  readonly done: Promise<ConsumeSummary>;
  /** Stop fetching from a topic (or one partition of it) until resumed. */
  pause(topic: string, partition?: number): void;
  resume(topic: string, partition?: number): void;
  lag(): Promise<PartitionLag[]>;
  /** The partitions this member holds now (exactly-once consumption; others may leave it out). */
  assignment?(): Array<{ topic: string; partition: number }>;
}

/** Where a consumer group stands on one partition (`thoth doctor`, kafka-consumer-groups --describe). */
export interface GroupPartitionLag {
  topic: string;
  partition: number;
  /** The group's committed offset (the next it reads); null when it has committed none there. */
  committed: number | null;
  /** Offset the next produced record will get. */
  end: number;
  /** Records between the committed offset (or the log start, with none committed) and the end. */
  lag: number;
}

/** The cluster behind a Kafka bootstrap address. */
export interface ClusterInfo {
  clusterId: string;
  controller: number | null;
  brokers: Array<{ id: number; host: string; port: number }>;
  /** The Kafka release its API versions name ("Kafka 4.1"); absent when the broker did not say. */
  release?: string;
}

/** One member of a consumer group and the partitions it holds. */
export interface GroupMember {
  id: string;
  /** The client id and host it connected from (Kafka); the embedded broker knows neither. */
  clientId?: string;
  host?: string;
  partitions: Array<{ topic: string; partition: number }>;
}

/** A group's state and members (kafka-consumer-groups.sh --describe --members). */
export interface GroupDescription {
  group: string;
  /** Kafka's state (Stable, Empty, ...); the embedded broker says Stable with members, else Empty. */
  state: string;
  members: GroupMember[];
  /** The next offset the group reads, per partition it has committed to. */
  committed: Array<{ topic: string; partition: number; offset: number }>;
}

/** What `thoth groups` needs of a broker. */
export interface GroupAdmin {
  list(): Promise<Array<{ group: string; state: string }>>;
  describe(group: string): Promise<GroupDescription>;
  /** Per partition of a topic: the first offset, the end offset, and (with `timestamp`) the first offset at or after it. */
  partitionOffsets(topic: string, timestamp?: number): Promise<Array<{ partition: number; low: number; high: number; atTime?: number }>>;
  /** Sets the group's committed offsets, backwards too; the group must have no members. */
  setOffsets(group: string, topic: string, offsets: Array<{ partition: number; offset: number }>): Promise<void>;
}

/** How far this machine's clock is from the broker's (`thoth doctor`), or why the broker cannot be asked. */
export type BrokerClockReading =
  | {
      /** This machine's clock minus the broker's: positive when this machine is ahead. */
      aheadMs: number;
      /** The reading is right to within this many milliseconds either way. */
      boundMs: number;
      /** The broker whose clock was read (host:port). */
      coordinator: string;
      /** The transactional id of the transaction begun and aborted for it. */
      transactionalId: string;
    }
  | { unavailable: string };

export interface BrokerClockOptions {
  /** The consumer group whose offsets join the doctor's transaction (READ on Group:<group> is needed). */
  group: string;
  /** This machine's clock. */
  now: () => number;
  /** The whole check's time, cleaning up included (default 5 s). */
  timeoutMs?: number;
  /** The transactional id to use; default `<group>.doctor.<random>` (inside the investigator's prefixed ACL). */
  transactionalId?: string;
}

export interface Broker {
  readonly kind: 'kafka' | 'embedded';
  /** Consumer groups: list, describe, reset offsets. */
  readonly groups: GroupAdmin;
  /** Where it is, for notices and errors: `kafka://127.0.0.1:9092` or the SQLite path. Never holds credentials. */
  readonly address: string;
  send(records: OutgoingRecord[]): Promise<RecordPosition[]>;
  consume(options: ConsumeOptions, handler: RecordHandler): Consumption;
  /** The topics (those named in `only`, when given: a broker may hold thousands), with partitions, offsets and settings. */
  topics(only?: readonly string[]): Promise<TopicInfo[]>;
  /** Creates the topics that do not exist yet and returns their names. */
  createTopics(names: string[], options?: { partitions?: number; replicationFactor?: number }): Promise<string[]>;
  /** The group's committed offsets and lag on every partition of the topics that exist. */
  groupLag(group: string, topics: string[]): Promise<GroupPartitionLag[]>;
  /** Kafka only: the cluster id, controller and brokers. */
  cluster?(): Promise<ClusterInfo>;
  /** Kafka only: the transaction coordinator's clock against this machine's (src/transport/kafka/broker-clock.ts). */
  clock?(options: BrokerClockOptions): Promise<BrokerClockReading>;
  close(): Promise<void>;
}

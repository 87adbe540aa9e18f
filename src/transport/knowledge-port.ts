/**
 * What the investigator needs of a broker to keep its knowledge there (SPEC
 * §5.1), beside the plain Broker port: a compacted changelog topic read by
 * every replica without a group (like a Kafka Streams global table), and
 * consumption where each record's writes and its offset commit are one
 * transaction. Kafka implements it in src/transport/kafka/knowledge.ts, the
 * embedded broker in src/transport/embedded-knowledge.ts.
 */
import type { BatchBounds, CacheWrites } from './batch.js';
import type { ConsumedRecord, ConsumeOptions, Consumption, OutgoingRecord, RecordHandler, RecordPosition } from './port.js';

/** Exactly-once consumption: a group, and the cache the batches' writes go to (src/transport/batch.ts). */
export type ExactlyOnceOptions = ConsumeOptions & { group: string; cache: CacheWrites; bounds?: BatchBounds };

/** Records of one partition of a followed topic, and where reading goes on after them. */
export interface ChangelogBatch {
  topic: string;
  partition: number;
  records: ConsumedRecord[];
  /**
   * The next offset to read. Past the last record, and past any transaction
   * markers and aborted records after it (a batch may hold no record at all).
   */
  nextOffset: number;
}

export interface FollowOptions {
  topic: string;
  /** Where to start per partition; partitions not named start at their beginning. */
  from: ReadonlyMap<number, number>;
  signal: AbortSignal;
  /** Called for each batch in offset order per partition; a rejection stops the following. */
  onBatch: (batch: ChangelogBatch) => Promise<void> | void;
  /** A partition's start offset is past its end (the topic was recreated): it is read from its beginning. */
  onReset?: (partition: number, from: number, end: number) => void;
}

export interface Following {
  /** Resolves when stopped by the signal; rejects when reading failed for good. */
  readonly done: Promise<void>;
}

export interface CompactedTopicOptions {
  partitions: number;
  /** Says what is wrong with an existing topic (not compacted), or that it could not be checked. */
  warn: (text: string) => void;
}

export interface KnowledgeTransport {
  readonly kind: 'kafka' | 'embedded';
  /** For notices. */
  readonly address: string;
  /**
   * Creates the topic with cleanup.policy=compact when it is missing (a
   * UserError naming the missing right when refused); warns when an existing
   * one is not compacted. Returns whether it was created.
   */
  ensureCompactedTopic(topic: string, options: CompactedTopicOptions): Promise<boolean>;
  /** Whether the topic exists (`thoth cache sync` reads, never creates). */
  topicExists(topic: string): Promise<boolean>;
  /** The end offset of each partition as a read_committed reader sees it (the last stable offset). */
  endOffsets(topic: string): Promise<Map<number, number>>;
  /** Reads every partition of the topic, no consumer group, committed records only, until the signal. */
  follow(options: FollowOptions): Following;
  /**
   * Consumes as a group with RecordContext.exactlyOnce on every record, in
   * batches (src/transport/batch.ts): the handlers' writes and the offset are
   * committed together; nothing is committed otherwise. `onAssigned` hears
   * which partitions this member got.
   */
  consumeExactlyOnce(
    options: ExactlyOnceOptions,
    handler: RecordHandler,
    onAssigned?: (assigned: Array<{ topic: string; partition: number }>) => void,
  ): Consumption;
  /** The partition a key goes to on the topic (as the producer's partitioner chooses it). */
  partitionOf(topic: string, key: string): Promise<number>;
  /** Plain writes outside any transaction (decision triggers, `thoth cache rebuild`). */
  send(records: OutgoingRecord[]): Promise<RecordPosition[]>;
  close(): Promise<void>;
}

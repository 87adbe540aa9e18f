/**
 * Records as a broker holds them: what is sent, where it landed, what is
 * read back. Shared by both transports (src/transport/port.ts), the
 * embedded log in the cache (src/store/log.ts) and the record codecs
 * (records.ts), so they live here, below all three.
 */

/** Record bytes that are not UTF-8 text, kept as bytes so that they travel unchanged. */
export interface RawBytes {
  key?: Uint8Array;
  value?: Uint8Array;
}

export interface OutgoingRecord {
  /** Full topic name, already prefixed with the deployment name. */
  topic: string;
  key: string | null;
  headers: Record<string, string>;
  /** Exact body; null sends a tombstone (empty value). */
  value: string | null;
  /** Milliseconds since the epoch; the broker's clock when absent. */
  timestamp?: number;
  /** The partition to write to (kcat -p); the partitioner's choice by key when absent. */
  partition?: number;
  /** Bytes to send instead of `key` / `value` (which then hold their lossy decoding). */
  raw?: RawBytes;
}

export interface RecordPosition {
  topic: string;
  partition: number;
  offset: number;
}

export interface ConsumedRecord extends RecordPosition {
  timestamp: number;
  key: string | null;
  headers: Record<string, string>;
  /** Raw value as UTF-8 text; null when the record had no value. */
  value: string | null;
  /** The key's and value's bytes where they are not valid UTF-8 (`key` and `value` hold a lossy decoding). */
  raw?: RawBytes;
  /** Size of the value in bytes, as received. */
  size: number;
}

/** One partition as `kcat -L` shows it, with its offsets. */
export interface PartitionInfo {
  partition: number;
  /** Broker id of the leader; null while none is elected. */
  leader: number | null;
  replicas: number[];
  isr: number[];
  /** First offset still in the log. */
  low: number;
  /** High-water mark: the offset the next record will get. */
  high: number;
}

export interface TopicInfo {
  name: string;
  partitions: number;
  /** Sum over partitions of the offset the next record will get. */
  messages?: number;
  /** Each partition's leader, replicas and offsets, where the broker tells them (Kafka). */
  partitionDetails?: PartitionInfo[];
  /** The topic's settings that differ from the broker's defaults (compression.type, retention.ms, ...). */
  config?: Record<string, string>;
}

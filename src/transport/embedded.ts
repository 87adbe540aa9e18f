/**
 * The embedded broker: topics as append-only logs inside the local SQLite
 * file (src/store/log.ts holds the SQL), so that publish, tail and investigate
 * work on one machine with no server. One partition (0) per topic: order is
 * total within a topic, which is all a single machine needs.
 *
 * Several processes may use the file at once: appends take the write lock
 * for one transaction, and a consumer that has caught up polls the log, so a
 * `publish` in one terminal appears in a `tail` running in another.
 *
 * Members of one consumer group share the work as on Kafka: each partition is
 * read by one member at a time, through a lease (src/transport/embedded-group.ts).
 */
import { PermanentError, UserError } from '../core/errors.js';
import type { Store } from '../store/index.js';
import { withStoreErrors } from '../store/errors.js';
import { whenUnlocked, type LockWait } from '../store/lock-wait.js';
import {
  onlyPartitions,
  RetryLater,
  type Broker,
  type ConsumeOptions,
  type ConsumeSummary,
  type ConsumedRecord,
  type GroupAdmin,
  type GroupDescription,
  type Consumption,
  type OutgoingRecord,
  type PartitionLag,
  type RecordContext,
  type RecordHandler,
} from './port.js';
import { sleep } from '../core/sleep.js';
import { PARTITION_FETCH_BYTES } from '../config/kafka-options.js';
import { DEFAULT_BATCH, handleBatches, type BatchBounds, type CacheWrites } from './batch.js';
import { LEASE_MS, groupMembership, type GroupMembership, type GroupPartition } from './embedded-group.js';

/** How long a consumer that has caught up waits before looking at the log again. */
export const POLL_INTERVAL_MS = 150;
const BATCH_SIZE = 256;
/**
 * What one read of a partition for exactly-once batches (and of the knowledge topic) may hold in values, as a Kafka
 * consumer's fetch is bounded per partition (`max.partition.fetch.bytes`, 1 MiB). A batch is one such read of up to
 * --batch-max records (a read of 256 made every batch of small records one of 256, and each batch is a commit).
 */
export const FETCH_BYTES = PARTITION_FETCH_BYTES;

type Log = Pick<
  Store,
  | 'appendRecords'
  | 'createLogTopic'
  | 'logTopics'
  | 'logEndOffset'
  | 'logStartOffset'
  | 'logOffsetForTimestamp'
  | 'readLog'
  | 'committedOffset'
  | 'commitOffset'
  | 'acquireLease'
  | 'renewLease'
  | 'releaseLease'
  | 'transaction'
  | 'logGroups'
  | 'groupOffsets'
  | 'groupLeases'
  | 'setGroupOffset'
>;

/**
 * Exactly-once consumption on the embedded broker (src/transport/embedded-knowledge.ts): each
 * record's context carries RecordContext.exactlyOnce, whose commit is ONE SQLite transaction
 * holding the appended records, the caller's cache writes and the group offset, the offset
 * committed only under the member's live lease (a member whose lease was taken is fenced).
 */
export interface ExactlyOnceOptions {
  onAssigned?: (assigned: Array<{ topic: string; partition: number }>) => void;
  /** The cache the batches' writes go to, and their bounds (src/transport/batch.ts). */
  cache: CacheWrites;
  bounds?: BatchBounds;
}

/** How long a fenced member waits before it looks at the partition again. */
const FENCED_RETRY_MS = 1_000;

export interface EmbeddedBrokerOptions {
  /** How long a group member's lease on a partition lasts unrenewed (default LEASE_MS). */
  leaseMs?: number;
  /** The largest record accepted, key, headers and value together (default 1 MiB, Kafka's message.max.bytes). */
  maxMessageBytes?: number;
  /** How a send waits while another process holds the cache locked (THOTH_CACHE_WAIT); without it, a locked cache fails the send at once. */
  lockWait?: LockWait;
}

/** Kafka's default `message.max.bytes`. */
export const DEFAULT_EMBEDDED_MAX_BYTES = 1024 * 1024;

function recordBytes(record: { key: string | null; value: string | null; headers: Record<string, string> }): number {
  let size = Buffer.byteLength(record.key ?? '') + Buffer.byteLength(record.value ?? '');
  for (const [name, value] of Object.entries(record.headers)) size += Buffer.byteLength(name) + Buffer.byteLength(value);
  return size;
}

interface PartitionCursor extends GroupPartition {
  /** Next offset to hand to the handler. */
  position: number;
  /** With exitAtEnd: the end offset when consumption began. */
  stopAt: number;
}

export function openEmbeddedBroker(store: Store, path: string, options: EmbeddedBrokerOptions = {}): Broker {
  const leaseMs = options.leaseMs ?? LEASE_MS;
  const maxBytes = options.maxMessageBytes ?? DEFAULT_EMBEDDED_MAX_BYTES;
  const safely = <T>(fn: () => T) => withStoreErrors(path, fn);
  // A write that another process's lock holds up is tried again on timers, up to THOTH_CACHE_WAIT.
  const patiently = async <T>(doing: string, fn: () => T): Promise<T> =>
    options.lockWait ? whenUnlocked(path, doing, () => safely(fn), options.lockWait) : safely(fn);
  return {
    kind: 'embedded',
    address: path,
    send: async (records) => {
      // One partition (0) per topic: a record for another is refused before anything is written.
      for (const record of records) if (record.partition !== undefined) onlyPartitions(record.topic, [0], [record.partition]);
      // The embedded log keeps text; bytes that are not UTF-8 would not come back as they were sent.
      if (records.some((r) => r.raw?.key || r.raw?.value)) {
        throw new UserError(
          'a record whose key or value is not UTF-8 text cannot be kept by the embedded broker (it stores text)',
          'send it to Kafka (-b host:port, or KAFKA_BOOTSTRAP_SERVERS)',
        );
      }
      // As Kafka does: a record larger than message.max.bytes is refused, and nothing of the batch is written.
      for (const record of records) {
        const size = recordBytes(record);
        if (size > maxBytes) {
          throw new PermanentError(
            'MessageTooLarge',
            `a record for ${record.topic} is ${size} bytes, more than the embedded broker's limit of ${maxBytes} (KAFKA_MESSAGE_MAX_BYTES)`,
          );
        }
      }
      return patiently('to write to it', () => store.appendRecords(records));
    },
    consume: (consumeOptions, handler) => consumeLog(store, path, consumeOptions, handler, leaseMs, undefined, options.lockWait),
    topics: async (only) => safely(() => store.logTopics().filter((t) => !only || only.includes(t.name))),
    groupLag: async (group, topics) =>
      safely(() => {
        const existing = new Set(store.logTopics().map((t) => t.name));
        // The embedded log has one partition per topic.
        return topics
          .filter((topic) => existing.has(topic))
          .map((topic) => {
            const committed = store.committedOffset(group, topic, 0) ?? null;
            const end = store.logEndOffset(topic, 0);
            return { topic, partition: 0, committed, end, lag: end - (committed ?? store.logStartOffset(topic, 0)) };
          });
      }),
    // Partitions and replication are Kafka's business: the embedded log always has one partition.
    createTopics: (names) =>
      patiently('to create topics', () => store.transaction(() => names.filter((name) => store.createLogTopic(name)))),
    groups: embeddedGroups(store, safely),
    // The store belongs to whoever opened it (the dependency object closes it).
    close: async () => {},
  };
}

/** Groups on the embedded broker: their committed offsets and their members' live leases. */
function embeddedGroups(store: Store, safely: <T>(fn: () => T) => T): GroupAdmin {
  const describe = (group: string): GroupDescription => {
    const leases = store.groupLeases(group, Date.now());
    const members = [...new Set(leases.map((l) => l.owner))].map((id) => ({
      id,
      partitions: leases.filter((l) => l.owner === id).map(({ topic, partition }) => ({ topic, partition })),
    }));
    return { group, state: members.length ? 'Stable' : 'Empty', members, committed: store.groupOffsets(group) };
  };
  return {
    list: async () => safely(() => store.logGroups().map((group) => ({ group, state: describe(group).state }))),
    describe: async (group) => safely(() => describe(group)),
    // One partition (0) per topic.
    partitionOffsets: async (topic, timestamp) =>
      safely(() => [
        {
          partition: 0,
          low: store.logStartOffset(topic, 0),
          high: store.logEndOffset(topic, 0),
          ...(timestamp !== undefined ? { atTime: store.logOffsetForTimestamp(topic, 0, timestamp) } : {}),
        },
      ]),
    setOffsets: async (group, topic, offsets) =>
      safely(() => store.transaction(() => offsets.forEach((o) => store.setGroupOffset(group, topic, o.partition, o.offset)))),
  };
}

function startOffset(log: Log, options: ConsumeOptions, topic: string, partition: number): number {
  if (options.group !== undefined) {
    const committed = log.committedOffset(options.group, topic, partition);
    if (committed !== undefined) return committed;
  }
  const start = options.start;
  switch (start.from) {
    case 'earliest':
      return log.logStartOffset(topic, partition);
    case 'latest':
      return log.logEndOffset(topic, partition);
    case 'offset':
      return Math.min(Math.max(start.offset, log.logStartOffset(topic, partition)), log.logEndOffset(topic, partition));
    case 'end':
      return Math.max(log.logEndOffset(topic, partition) - start.back, log.logStartOffset(topic, partition));
    case 'timestamp':
      return log.logOffsetForTimestamp(topic, partition, start.timestamp);
  }
}

const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export function consumeLog(
  log: Log,
  path: string,
  options: ConsumeOptions,
  handler: RecordHandler,
  leaseMs: number,
  exactly?: ExactlyOnceOptions,
  lockWait?: LockWait,
): Consumption {
  const stopOnError = new AbortController();
  const signal = AbortSignal.any([options.signal, stopOnError.signal]);
  // Reading the log and committing offsets wait on timers for another process's lock (THOTH_CACHE_WAIT).
  const patiently = async <T>(doing: string, fn: () => T): Promise<T> =>
    lockWait ? whenUnlocked(path, doing, () => withStoreErrors(path, fn), { ...lockWait, signal }) : withStoreErrors(path, fn);
  const pausedTopics = new Set<string>();
  const pausedPartitions = new Set<string>();
  // Partitions holding back a record that is to be retried later (RetryLater): when they may go on.
  const retryAt = new Map<string, number>();
  const isPaused = (c: PartitionCursor) =>
    pausedTopics.has(c.topic) ||
    pausedPartitions.has(partitionKey(c.topic, c.partition)) ||
    (retryAt.get(partitionKey(c.topic, c.partition)) ?? 0) > Date.now();
  let records = 0;
  let cursors: PartitionCursor[] = [];
  // Without a group every partition is this consumer's and nothing is committed.
  const group: GroupMembership | null = options.group === undefined ? null : groupMembership(log, options.group, leaseMs);
  const holds = (c: PartitionCursor) =>
    group === null ||
    withStoreErrors(path, () =>
      group.holds(c, () => {
        c.position = startOffset(log, options, c.topic, c.partition);
        exactly?.onAssigned?.([{ topic: c.topic, partition: c.partition }]);
      }),
    );
  /** A batch's atomic commit (src/transport/batch.ts): its appends and the group offset, under the lease the member holds now. */
  const commitBatch = (c: PartitionCursor, groupId: string, out: OutgoingRecord[], next: number) => {
    const lease = c.lease;
    withStoreErrors(path, () =>
      log.transaction(() => {
        if ((log.committedOffset(groupId, c.topic, c.partition) ?? -1) >= next) return;
        if (out.length > 0) log.appendRecords(out);
        if (lease && log.commitOffset(groupId, c.topic, c.partition, next, lease)) return;
        // Fenced: another member holds the partition now; nothing of this is kept, and holding it again starts from the group's offset.
        c.lease = null;
        c.dueAt = Date.now() + FENCED_RETRY_MS;
        throw new RetryLater(FENCED_RETRY_MS);
      }),
    );
  };
  const context: RecordContext = {
    heartbeat: async () => withStoreErrors(path, () => group?.renew(cursors)),
    signal,
    retriesLater: true,
  };

  const run = async (): Promise<ConsumeSummary> => {
    // One partition (0) per topic: a --partition of another is refused before anything is read.
    for (const topic of new Set(options.topics)) onlyPartitions(topic, [0], options.partitions);
    cursors = withStoreErrors(path, () =>
      [...new Set(options.topics)].map((topic) => ({
        topic,
        partition: 0,
        position: startOffset(log, options, topic, 0),
        stopAt: log.logEndOffset(topic, 0),
        lease: null,
        dueAt: 0,
      })),
    );
    const workers = Math.max(1, Math.min(options.partitionsConcurrently ?? 1, cursors.length));
    try {
      const outcomes = await Promise.allSettled(
        Array.from({ length: workers }, (_, i) => work(cursors.filter((_, j) => j % workers === i))),
      );
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      // Leave the group: another member takes the partitions now rather than after the lease expires.
      // Should that fail (the file gone), the leases simply expire: it must not hide why consumption ended.
      try {
        group?.release(cursors);
      } catch {
        // nothing more to do
      }
    }
    return { records, reason: options.signal.aborted ? 'aborted' : 'end' };
  };

  /** One read of the log through the exactly-once batches; true when it moved on. */
  const handleExactlyOnce = async (
    cursor: PartitionCursor,
    groupId: string,
    how: ExactlyOnceOptions,
    batch: ConsumedRecord[],
  ): Promise<boolean> => {
    const outcome = await handleBatches({
      records: options.exitAtEnd ? batch.filter((r) => r.offset < cursor.stopAt) : batch,
      handler,
      context,
      begin: async () => ({
        session: cursor.lease?.generation ?? 0,
        committed: withStoreErrors(path, () => log.committedOffset(groupId, cursor.topic, cursor.partition) ?? 0),
      }),
      commit: async (out, next) => commitBatch(cursor, groupId, out, next),
      beginHoldsWhileOpen: true,
      cache: how.cache,
      bounds: how.bounds ?? DEFAULT_BATCH,
      now: Date.now,
      halted: () => signal.aborted || isPaused(cursor),
      heartbeat: async () => withStoreErrors(path, () => group?.renew(cursors)),
    });
    records += outcome.handled;
    const before = cursor.position;
    if (outcome.committed !== undefined) cursor.position = Math.max(cursor.position, outcome.committed);
    if (outcome.error !== undefined) {
      if (!(outcome.error instanceof RetryLater)) {
        stopOnError.abort();
        throw outcome.error instanceof Error ? outcome.error : new Error('the consumption failed', { cause: outcome.error });
      }
      // Read again from the first record not committed, once the delay is over.
      if (outcome.retryFrom !== undefined) cursor.position = outcome.retryFrom;
      retryAt.set(partitionKey(cursor.topic, cursor.partition), Date.now() + outcome.error.delayMs);
    }
    return cursor.position !== before;
  };

  /**
   * Hands the records of its partitions to the handler in offset order until
   * the end (exitAtEnd) or the signal. With exitAtEnd, a partition another
   * member of the group holds is that member's to finish.
   */
  const work = async (mine: PartitionCursor[]): Promise<void> => {
    while (!signal.aborted) {
      let progressed = false;
      let allAtEnd = true;
      for (const cursor of mine) {
        if (!holds(cursor)) continue;
        if (options.exitAtEnd && cursor.position >= cursor.stopAt) continue;
        allAtEnd = false;
        if (isPaused(cursor)) continue;
        // Exactly-once, a fetch is the batch: up to its record bound within FETCH_BYTES.
        const inBatches = exactly !== undefined && options.group !== undefined;
        const [limit, maxBytes] = inBatches ? [(exactly.bounds ?? DEFAULT_BATCH).maxRecords, FETCH_BYTES] : [BATCH_SIZE];
        const batch = await patiently('to read it', () => log.readLog(cursor.topic, cursor.partition, cursor.position, limit, maxBytes));
        if (exactly && options.group !== undefined) {
          if (batch.length > 0 && (await handleExactlyOnce(cursor, options.group, exactly, batch))) progressed = true;
          continue;
        }
        try {
          for (const record of batch) {
            if (signal.aborted || isPaused(cursor) || (options.exitAtEnd && record.offset >= cursor.stopAt)) break;
            try {
              await handler(record, context);
            } catch (error) {
              if (error instanceof RetryLater) {
                // The cursor stays on the record: it is read again once the delay is over.
                retryAt.set(partitionKey(cursor.topic, cursor.partition), Date.now() + error.delayMs);
                break;
              }
              stopOnError.abort();
              throw error;
            }
            cursor.position = record.offset + 1;
            records++;
            progressed = true;
            // Fenced: another member took the partition while the handler ran; it carries on from the group's offset.
            if (group !== null && !(await patiently('to commit an offset', () => group.commit(cursor, cursor.position)))) break;
          }
        } finally {
          if (batch.length > 0) await options.batchDone?.();
        }
      }
      if (options.exitAtEnd && allAtEnd) return;
      if (!progressed) await sleep(POLL_INTERVAL_MS, signal);
    }
  };

  return {
    done: run(),
    pause: (topic, partition) => {
      if (partition === undefined) pausedTopics.add(topic);
      else pausedPartitions.add(partitionKey(topic, partition));
    },
    resume: (topic, partition) => {
      if (partition !== undefined) return void pausedPartitions.delete(partitionKey(topic, partition));
      pausedTopics.delete(topic);
      for (const key of pausedPartitions) if (key.startsWith(`${topic}\u0000`)) pausedPartitions.delete(key);
    },
    assignment: () => cursors.filter((c) => group === null || c.lease !== null).map((c) => ({ topic: c.topic, partition: c.partition })),
    // A partition another member holds shows the group's position, so a member waiting for a
    // killed member's lease to expire sees the backlog it will inherit.
    lag: async (): Promise<PartitionLag[]> =>
      withStoreErrors(path, () =>
        cursors.map((c) => ({
          topic: c.topic,
          partition: c.partition,
          position: group === null || c.lease !== null ? c.position : startOffset(log, options, c.topic, c.partition),
          end: log.logEndOffset(c.topic, c.partition),
        })),
      ),
  };
}

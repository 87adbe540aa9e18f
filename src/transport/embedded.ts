/**
 * The embedded broker: topics as append-only logs inside the local SQLite
 * file (src/store/log.ts holds the SQL), so that publish, tail and investigate
 * work on one machine with no server. One partition (0) per topic: order is
 * total within a topic, which is all a single machine needs.
 *
 * Several processes may use the file at once: appends take the write lock
 * for one transaction, and a consumer that has caught up polls the log, so a
 * `publish` in one terminal appears in a `tail` running in another.
 */
import type { Store } from '../store/index.js';
import { withStoreErrors } from '../store/errors.js';
import type { Broker, ConsumeOptions, ConsumeSummary, Consumption, PartitionLag, RecordContext, RecordHandler } from './port.js';
import { sleep } from '../cli/sleep.js';

/** How long a consumer that has caught up waits before looking at the log again. */
export const POLL_INTERVAL_MS = 150;
const BATCH_SIZE = 256;

type Log = Pick<
  Store,
  'appendRecords' | 'createLogTopic' | 'logTopics' | 'logEndOffset' | 'logStartOffset' | 'logOffsetForTimestamp' | 'readLog' | 'committedOffset' | 'commitOffset'
>;

interface PartitionCursor {
  topic: string;
  partition: number;
  /** Next offset to hand to the handler. */
  position: number;
  /** With exitAtEnd: the end offset when consumption began. */
  stopAt: number;
}

export function openEmbeddedBroker(store: Store, path: string): Broker {
  const safely = <T>(fn: () => T) => withStoreErrors(path, fn);
  return {
    kind: 'embedded',
    address: path,
    send: async (records) => safely(() => store.appendRecords(records)),
    consume: (options, handler) => consumeLog(store, path, options, handler),
    topics: async () => safely(() => store.logTopics()),
    // Partitions and replication are Kafka's business: the embedded log always has one partition.
    createTopics: async (names) => safely(() => store.transaction(() => names.filter((name) => store.createLogTopic(name)))),
    // The store belongs to whoever opened it (the dependency object closes it).
    close: async () => {},
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
    case 'timestamp':
      return log.logOffsetForTimestamp(topic, partition, start.timestamp);
  }
}


const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

function consumeLog(log: Log, path: string, options: ConsumeOptions, handler: RecordHandler): Consumption {
  const stopOnError = new AbortController();
  const signal = AbortSignal.any([options.signal, stopOnError.signal]);
  const pausedTopics = new Set<string>();
  const pausedPartitions = new Set<string>();
  const isPaused = (c: PartitionCursor) => pausedTopics.has(c.topic) || pausedPartitions.has(partitionKey(c.topic, c.partition));
  const context: RecordContext = { heartbeat: async () => {}, signal };
  let records = 0;

  let cursors: PartitionCursor[] = [];
  const run = async (): Promise<ConsumeSummary> => {
    cursors = withStoreErrors(path, () =>
      [...new Set(options.topics)].map((topic) => ({ topic, partition: 0, position: startOffset(log, options, topic, 0), stopAt: log.logEndOffset(topic, 0) })),
    );
    const workers = Math.max(1, Math.min(options.partitionsConcurrently ?? 1, cursors.length));
    const outcomes = await Promise.allSettled(Array.from({ length: workers }, (_, i) => work(cursors.filter((_, j) => j % workers === i))));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
    return { records, reason: options.signal.aborted ? 'aborted' : 'end' };
  };

  /** Hands the records of its partitions to the handler in offset order until the end (exitAtEnd) or the signal. */
  const work = async (mine: PartitionCursor[]): Promise<void> => {
    while (!signal.aborted) {
      let progressed = false;
      let allAtEnd = true;
      for (const cursor of mine) {
        if (options.exitAtEnd && cursor.position >= cursor.stopAt) continue;
        allAtEnd = false;
        if (isPaused(cursor)) continue;
        const batch = withStoreErrors(path, () => log.readLog(cursor.topic, cursor.partition, cursor.position, BATCH_SIZE));
        for (const record of batch) {
          if (signal.aborted || isPaused(cursor) || (options.exitAtEnd && record.offset >= cursor.stopAt)) break;
          try {
            await handler(record, context);
          } catch (error) {
            stopOnError.abort();
            throw error;
          }
          cursor.position = record.offset + 1;
          if (options.group !== undefined) withStoreErrors(path, () => log.commitOffset(options.group!, cursor.topic, cursor.partition, cursor.position));
          records++;
          progressed = true;
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
    lag: async (): Promise<PartitionLag[]> =>
      withStoreErrors(path, () =>
        cursors.map((c) => ({ topic: c.topic, partition: c.partition, position: c.position, end: log.logEndOffset(c.topic, c.partition) })),
      ),
  };
}

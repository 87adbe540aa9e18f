/**
 * Every replica's copy of the knowledge topic (SPEC §5.1), as Kafka Streams
 * keeps a global table: all partitions, no consumer group, committed records
 * only, applied to the cache as they come (src/store/projection.ts). The
 * cache remembers how far it read each partition, in the same SQLite
 * transaction as the facts it applied, so a restart with its cache resumes
 * there and a restart with an empty cache reads the topic from its start.
 *
 * A record this thoth cannot read (a newer format, broken JSON) is reported
 * once with its position and skipped; reading goes on.
 *
 * The dead-letter topic is followed the same way (`apply`): its records
 * become the cache's dead letters (src/store/dead-letter-records.ts).
 */
import type { Store } from '../store/index.js';
import type { Touched } from '../store/projection.js';
import type { ChangelogBatch, KnowledgeTransport } from './knowledge-port.js';
import type { ConsumedRecord } from './port.js';

/** What a batch of the topic's records did to the cache. */
export interface AppliedBatch {
  applied: number;
  unreadable: Array<{ index: number; reason: string }>;
  /** The things facts touched (knowledge records only). */
  touched?: Touched;
}

export interface KnowledgeSyncOptions {
  transport: Pick<KnowledgeTransport, 'endOffsets' | 'follow'>;
  topic: string;
  store: Pick<Store, 'transaction' | 'applyFactRecords' | 'changelogPositions' | 'setChangelogPosition' | 'resetChangelog'>;
  now(): number;
  warn(text: string): void;
  /** What a batch's records become in the cache, in its transaction (default: facts). */
  apply?(records: ConsumedRecord[]): AppliedBatch;
  /** What the topic's records are, in warnings (default: knowledge records). */
  what?: string;
  /** After each batch of facts applied. */
  onApplied?(touched: Touched): void;
  /** Takes the cache's write turn around each batch applied (src/core/turns.ts): not inside another task's open transaction. */
  turn?<T>(fn: () => T): Promise<T>;
}

export interface KnowledgeSync {
  /** Starts following the topic (from where the cache stopped) until the signal. */
  start(signal: AbortSignal): Promise<void>;
  /** Resolves once every partition has been read up to its end offset as it is now (the last stable offset). */
  catchUp(signal: AbortSignal): Promise<void>;
  /** Resolves once every partition named has been read up to the offset given. */
  reach(targets: ReadonlyMap<number, number>, signal: AbortSignal): Promise<void>;
  /** The next offset to read per partition. */
  positions(): Map<number, number>;
  /** Records still to read to reach the last end offsets asked for (catchUp). */
  behind(): number;
  /** Records still to read to reach the topic's end offsets as they are now. */
  lag(): Promise<number>;
  /** Facts applied and unreadable records skipped since the start. */
  counts(): { applied: number; unreadable: number };
}

export function knowledgeSync(options: KnowledgeSyncOptions): KnowledgeSync {
  const { store, topic } = options;
  const positions = new Map(store.changelogPositions(topic).map((p) => [p.partition, p.nextOffset]));
  let lastTargets = new Map<number, number>();
  const waiters = new Set<{ targets: ReadonlyMap<number, number>; resolve: () => void }>();
  let applied = 0;
  let unreadable = 0;
  let failure: unknown;

  const reached = (targets: ReadonlyMap<number, number>) => [...targets].every(([p, offset]) => (positions.get(p) ?? 0) >= offset);
  const wake = () => {
    for (const waiter of waiters) if (reached(waiter.targets)) waiter.resolve();
  };

  const onBatch = async (batch: ChangelogBatch) => {
    if (batch.records.length > 0 && options.turn) await options.turn(() => apply(batch));
    else apply(batch);
  };

  const apply = (batch: ChangelogBatch) => {
    if (batch.records.length > 0) {
      const last = batch.records[batch.records.length - 1];
      const at = new Date(options.now()).toISOString();
      const result = store.transaction(() => {
        const done: AppliedBatch = options.apply
          ? options.apply(batch.records)
          : store.applyFactRecords(batch.records.map((r) => ({ key: r.key, value: r.value })));
        store.setChangelogPosition(
          topic,
          { partition: batch.partition, nextOffset: batch.nextOffset, lastRecordAt: new Date(last.timestamp).toISOString() },
          at,
        );
        return done;
      });
      applied += result.applied;
      unreadable += result.unreadable.length;
      for (const bad of result.unreadable) {
        const record = batch.records[bad.index];
        options.warn(
          `${topic}[${record.partition}]@${record.offset}: skipped a ${options.what ?? 'knowledge record'} this thoth cannot read: ${bad.reason}`,
        );
      }
      if (result.applied > 0 && result.touched) options.onApplied?.(result.touched);
    }
    // Past transaction markers too; kept in memory only (reading them again after a restart changes nothing).
    positions.set(batch.partition, Math.max(batch.nextOffset, positions.get(batch.partition) ?? 0));
    wake();
  };

  const wait = (targets: ReadonlyMap<number, number>, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (failure !== undefined) return reject(asError(failure));
      if (reached(targets)) return resolve();
      // Stopped while the end offsets were being asked for: an abort listener added now would never fire.
      if (signal.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error('stopped'));
      const waiter = {
        targets,
        resolve: () => {
          waiters.delete(waiter);
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        waiters.delete(waiter);
        reject(signal.reason instanceof Error ? signal.reason : new Error('stopped'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      waiters.add(waiter);
    });

  return {
    start: async (signal) => {
      const following = options.transport.follow({
        topic,
        from: positions,
        signal,
        onBatch,
        onReset: (partition, from, end) => {
          options.warn(
            `${topic}[${partition}] ends at offset ${end} but this cache had read it up to ${from}: the topic was recreated; reading it again from its start${options.apply ? '' : " (`thoth cache rebuild` puts this cache's facts back into it)"}`,
          );
          positions.set(partition, 0);
        },
      });
      try {
        await following.done;
      } catch (error) {
        failure = error;
        for (const waiter of waiters) waiter.resolve();
        throw error;
      }
    },
    catchUp: async (signal) => {
      const targets = await options.transport.endOffsets(topic);
      lastTargets = targets;
      await wait(targets, signal);
      if (failure !== undefined) throw asError(failure);
    },
    reach: async (targets, signal) => {
      await wait(targets, signal);
      if (failure !== undefined) throw asError(failure);
    },
    positions: () => new Map(positions),
    behind: () => [...lastTargets].reduce((sum, [p, end]) => sum + Math.max(0, end - (positions.get(p) ?? 0)), 0),
    lag: async () => {
      const ends = await options.transport.endOffsets(topic);
      return [...ends].reduce((sum, [p, end]) => sum + Math.max(0, end - (positions.get(p) ?? 0)), 0);
    },
    counts: () => ({ applied, unreadable }),
  };
}

/**
 * The dead-letter topic followed into the cache's dead letters (src/store/dead-letter-records.ts), each kept as read
 * from `origin` (the broker's address): the investigator's follower and `thoth cache sync` alike.
 */
export function deadLetterSync(
  options: Omit<KnowledgeSyncOptions, 'apply' | 'what' | 'onApplied' | 'store'> & {
    store: KnowledgeSyncOptions['store'] & Pick<Store, 'keepDeadLetterRecords'>;
    origin: string;
  },
): KnowledgeSync {
  const { origin, ...rest } = options;
  return knowledgeSync({
    ...rest,
    what: 'dead-letter record',
    apply: (records) => options.store.keepDeadLetterRecords(records, origin),
  });
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

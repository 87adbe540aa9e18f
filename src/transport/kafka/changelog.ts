/**
 * Reading a whole topic on kafkajs without a consumer group, as Kafka Streams
 * reads a global table: every partition, from the offsets the reader kept,
 * committed records only (read_committed), nothing committed. The partitions
 * are assigned and fetched from their leaders directly (assigned.ts, as
 * `thoth tail` without --group reads): nothing is created on the broker, no
 * group ACL is needed, and the first records come without waiting for a
 * group's first rebalance (group.initial.rebalance.delay.ms).
 *
 * Each batch says where reading goes on after it, past the transaction
 * markers and aborted records a read_committed reader skips: a reader that
 * has seen everything is then exactly at the topic's end offset.
 *
 * Partitions added to the topic while following are read from their first
 * record once the metadata shows them (assigned.ts, within metadata.max.age.ms).
 */
import type { ConsumeSummary } from '../port.js';
import type { FollowOptions, Following } from '../knowledge-port.js';
import { readAssigned } from './assigned.js';
import { slot, toRecord, type KafkaHandles } from './consume.js';
import { describeKafkaFailure, isRetriableKafkaFailure } from './errors.js';
import { untilAnswered } from './patience.js';
import { sleep } from '../../core/sleep.js';

type Outcome = { reason: ConsumeSummary['reason'] } | { error: unknown };

/** How many partitions' batches are handed on at once; each partition's in order. */
const PARTITIONS_AT_ONCE = 4;

export function followChangelog(h: KafkaHandles, options: FollowOptions): Following {
  const { topic, signal } = options;
  const doing = `reading ${topic}`;
  // The caller's own failure ends the following as it is, whatever it says.
  let handlerFailed = false;

  /** Each partition's next offset, from where the reader stopped, within what the partition holds now. */
  const startPositions = async (): Promise<{ positions: Map<string, number>; ends: Map<string, number> }> => {
    const offsets = await untilAnswered(() => h.admin.fetchTopicOffsets(topic), signal).catch((error: unknown) => {
      throw describeKafkaFailure(h.settings, error, doing);
    });
    const positions = new Map<string, number>();
    const ends = new Map<string, number>();
    for (const { partition, low, high } of offsets) {
      const wanted = options.from.get(partition) ?? Number(low);
      if (wanted > Number(high)) {
        options.onReset?.(partition, wanted, Number(high));
        positions.set(slot(topic, partition), Number(low));
      } else positions.set(slot(topic, partition), Math.max(wanted, Number(low)));
      ends.set(slot(topic, partition), Number(high));
    }
    return { positions, ends };
  };

  /** One read until the signal, or until it fails; `positions` keeps where each partition got to. */
  const readOnce = (positions: Map<string, number>, ends: Map<string, number>): Promise<ConsumeSummary> => {
    const stopping = new AbortController();
    let settle: (outcome: Outcome) => void = () => {};
    const outcome = new Promise<Outcome>((resolve) => {
      settle = (value) => {
        if (!stopping.signal.aborted) stopping.abort();
        resolve(value);
      };
    });
    const onAbort = () => settle({ reason: 'aborted' });
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    return readAssigned({
      h,
      topics: [topic],
      positions,
      ends,
      unfinished: new Set(),
      options: { topics: [topic], start: { from: 'earliest' }, signal, partitionsConcurrently: PARTITIONS_AT_ONCE },
      onBatch: async (batch) => {
        try {
          await options.onBatch(batch);
        } catch (error) {
          handlerFailed = true;
          throw error;
        }
      },
      signal: stopping.signal,
      settle,
      outcome,
      isHalted: () => false,
      slot,
      toRecord,
    }).finally(() => signal.removeEventListener('abort', onAbort));
  };

  const run = async (): Promise<void> => {
    const { positions, ends } = await startPositions();
    for (let round = 0; !signal.aborted; round++) {
      try {
        await readOnce(positions, ends);
        return;
      } catch (error) {
        // A broker away while the reader connects is waited out (the investigator reads for as long as it runs);
        // what fails for good (credentials, authorisation, the handler's own failure) ends the following.
        if (signal.aborted || handlerFailed || !isRetriableKafkaFailure(error)) throw error;
        h.log.warn(`Kafka changelog reader restarting after: ${error instanceof Error ? error.message : String(error)}`);
        await sleep(Math.min(5_000, 200 * 2 ** Math.min(round, 5)), signal);
      }
    }
  };

  const done = run();
  done.catch(() => undefined); // the caller observes `done`; this only avoids an unhandled rejection before it does
  return { done };
}

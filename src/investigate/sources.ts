/**
 * Where the investigator's records come from, and where what it writes goes.
 * Two sources share one shape:
 *
 * - a broker (Kafka or the embedded log): a consumer group over the topics of
 *   the chosen modes and the decisions topic, each record committed with what
 *   it writes (the KnowledgeTransport's exactly-once consumption); the
 *   knowledge topic read by every replica (src/investigate/knowledge-sync.ts);
 * - a recorded file (`--from`): no broker at all, the same dispatch with an
 *   in-process changelog: facts go straight to the cache, follow-ups and
 *   decision triggers to an in-memory queue handled right after the record
 *   that caused them, so one run replays the whole loop of SPEC §1; dead
 *   letters go only to the cache.
 */
import { sleep } from '../core/sleep.js';
import { DEAD_LETTER_BASE_TOPIC, DEAD_LETTER_HEADERS, topicName } from '../messages/topics.js';
import { openInput, readEnvelopes } from '../messages/ndjson.js';
import { recordedValue, replayTopic } from '../messages/records.js';
import type {
  Broker,
  ConsumedRecord,
  ConsumeSummary,
  Consumption,
  OutgoingRecord,
  RecordContext,
  RecordHandler,
  StartPosition,
} from '../transport/port.js';
import type { BatchBounds, CacheWrites } from '../transport/batch.js';
import type { KnowledgeTransport } from '../transport/knowledge-port.js';
import type { DeadLetterRecord } from './delivery.js';

/** Partitions of the knowledge and decisions topics when the investigator creates them. */
export const KNOWLEDGE_PARTITIONS = 6;
export const DECISION_PARTITIONS = 6;

/** Where a batch's cache writes go, and how large a batch may grow. */
export interface Batching {
  cache: CacheWrites;
  bounds: BatchBounds;
}

export type KnowledgeChannel = Pick<KnowledgeTransport, 'endOffsets' | 'follow' | 'partitionOf' | 'send'>;

export interface InvestigatorSource {
  readonly kind: 'broker' | 'file';
  /** For notices: the broker address or the file path. */
  readonly description: string;
  /**
   * Creates the topics it reads, the dead-letter and decisions topics (upstream created its topics at
   * start-up; auto-creation is often off) and the knowledge topic, compacted.
   */
  prepare(warn: (text: string) => void): Promise<void>;
  /** Hands the records to the handler in batches whose cache writes go to `batching.cache` (src/transport/batch.ts). */
  consume(
    handler: RecordHandler,
    signal: AbortSignal,
    batching: Batching,
    onAssigned?: (assigned: Array<{ topic: string; partition: number }>) => void,
  ): Consumption;
  /** The knowledge topic and the writes outside any record's transaction (decision triggers). */
  knowledge: KnowledgeChannel;
  deadLetterRecord: DeadLetterRecord;
  /**
   * Where the dead letters it writes can be read back, when the cache's own copy can be lost: on Kafka the broker's
   * commit comes before the cache's (src/transport/batch.ts). The embedded broker keeps both in one transaction.
   */
  deadLetters?: { topic: string; transport: Pick<KnowledgeTransport, 'endOffsets' | 'follow' | 'topicExists'> };
  /** Lines of a recorded stream that were not envelopes (reported and skipped); 0 for a broker. */
  badLines(): number;
}

export { DEAD_LETTER_HEADERS } from '../messages/topics.js';

/** Longest reason carried in a header; the whole reason is in the cache. */
const REASON_HEADER_LIMIT = 1000;

/** Room left for key and headers when deciding whether the value still fits. */
const HEADER_ALLOWANCE_BYTES = 4096;

/**
 * The record written to the dead-letter topic: the original key, headers and
 * value, plus headers naming where it came from and why it failed. A value
 * too large to send again (the MessageTooLarge case) is left out, so that the
 * dead letter can be written and the record committed; the cache keeps it.
 */
export function deadLetterRecord(
  record: ConsumedRecord,
  errorClass: string,
  reason: string,
  deploymentName?: string,
  maxBytes = Infinity,
): OutgoingRecord {
  const oneLine = reason.replace(/\s*\n\s*/g, '; ');
  const size = record.value === null ? 0 : Buffer.byteLength(record.value);
  const omit = size + HEADER_ALLOWANCE_BYTES > maxBytes;
  return {
    topic: topicName(DEAD_LETTER_BASE_TOPIC, deploymentName),
    key: record.key,
    headers: {
      ...(omit ? { [DEAD_LETTER_HEADERS.valueOmitted]: `${size} bytes` } : {}),
      ...record.headers,
      [DEAD_LETTER_HEADERS.topic]: record.topic,
      [DEAD_LETTER_HEADERS.partition]: String(record.partition),
      [DEAD_LETTER_HEADERS.offset]: String(record.offset),
      [DEAD_LETTER_HEADERS.errorClass]: errorClass,
      [DEAD_LETTER_HEADERS.reason]: oneLine.length > REASON_HEADER_LIMIT ? `${oneLine.slice(0, REASON_HEADER_LIMIT)}…` : oneLine,
    },
    value: omit ? null : record.value,
  };
}

export interface BrokerSourceOptions {
  broker: Pick<Broker, 'kind' | 'address' | 'createTopics'>;
  knowledge: KnowledgeTransport;
  topics: string[];
  knowledgeTopic: string;
  /** The decisions topic, when this investigator takes decisions (middletier mode). */
  decisionsTopic?: string;
  group: string;
  start: StartPosition;
  deploymentName?: string;
  partitionsConcurrently: number;
  /** The producer's size limit (KAFKA_MESSAGE_MAX_BYTES). */
  maxBytes: number;
}

export function brokerSource(options: BrokerSourceOptions): InvestigatorSource {
  const { broker, deploymentName, knowledge } = options;
  const deadLetterTopic = topicName(DEAD_LETTER_BASE_TOPIC, deploymentName);
  return {
    kind: 'broker',
    badLines: () => 0,
    description: broker.kind === 'embedded' ? `embedded:${broker.address}` : broker.address,
    ...(knowledge.kind === 'kafka' ? { deadLetters: { topic: deadLetterTopic, transport: knowledge } } : {}),
    prepare: async (warn) => {
      const investigatorTopics = async () => {
        // A broker that has just started may not answer a new topic's metadata yet: a second attempt finds it.
        for (let attempt = 1; ; attempt++) {
          try {
            // Side by side: a creation waits for its topics' leaders.
            await Promise.all([
              broker.createTopics([...options.topics, deadLetterTopic]),
              options.decisionsTopic ? broker.createTopics([options.decisionsTopic], { partitions: DECISION_PARTITIONS }) : undefined,
            ]);
            return;
          } catch (error) {
            if (attempt < 3) {
              await sleep(1_000);
              continue;
            }
            // Without the right to create topics, consumption still works for the ones that exist.
            warn(
              `could not create the investigator's topics (${error instanceof Error ? error.message : String(error)}); create them with \`thoth topics create\``,
            );
            return;
          }
        }
      };
      // The knowledge topic is another matter: without it there is nowhere to keep what is learnt.
      const [, ensured] = await Promise.allSettled([
        investigatorTopics(),
        knowledge.ensureCompactedTopic(options.knowledgeTopic, { partitions: KNOWLEDGE_PARTITIONS, warn }),
      ]);
      if (ensured.status === 'rejected') throw ensured.reason;
    },
    consume: (handler, signal, batching, onAssigned) =>
      knowledge.consumeExactlyOnce(
        {
          cache: batching.cache,
          bounds: batching.bounds,
          topics: options.decisionsTopic ? [...options.topics, options.decisionsTopic] : options.topics,
          group: options.group,
          start: options.start,
          signal,
          partitionsConcurrently: options.partitionsConcurrently,
        },
        handler,
        onAssigned,
      ),
    knowledge,
    deadLetterRecord: (record, errorClass, reason) => deadLetterRecord(record, errorClass, reason, deploymentName, options.maxBytes),
  };
}

export interface FileSourceOptions {
  path: string;
  stdin: NodeJS.ReadableStream;
  deploymentName?: string;
  /** The knowledge topic: its records are applied to the cache directly, never queued. */
  knowledgeTopic: string;
  now(): number;
  /** A line that is not an envelope: reported, and the others still run (SPEC §7). */
  onBadLine(text: string): void;
}

export function fileSource(options: FileSourceOptions): InvestigatorSource {
  const queue: ConsumedRecord[] = [];
  // Positions as a fresh single-partition broker would give them, so that a
  // file run and a replay through a broker name the same source offsets.
  const nextOffset = new Map<string, number>();
  const position = (topic: string, partition: number, explicit?: number) => {
    const key = `${topic}\u0000${partition}`;
    const offset = explicit ?? nextOffset.get(key) ?? 0;
    nextOffset.set(key, Math.max(offset + 1, nextOffset.get(key) ?? 0));
    return offset;
  };
  const deadLetterTopic = topicName(DEAD_LETTER_BASE_TOPIC, options.deploymentName);
  /** A record the run writes: follow-ups and triggers are handled next; facts are in the cache already; dead letters stay there. */
  const enqueue = (records: OutgoingRecord[]) => {
    for (const record of records) {
      if (record.topic === options.knowledgeTopic || record.topic === deadLetterTopic) continue;
      queue.push({
        topic: record.topic,
        partition: 0,
        offset: position(record.topic, 0),
        timestamp: options.now(),
        key: record.key,
        headers: record.headers,
        value: record.value,
        size: record.value === null ? 0 : Buffer.byteLength(record.value),
      });
    }
  };
  const noHeartbeat = async () => undefined;
  let badLines = 0;

  return {
    kind: 'file',
    badLines: () => badLines,
    description: options.path,
    prepare: async () => undefined,
    consume: (handler, signal, batching) => {
      // One cache transaction for up to `maxRecords` records (or `maxMs`): a file has no offsets to commit with it.
      const { cache, bounds } = batching;
      let release: (() => void) | undefined;
      let openedAt = 0;
      let inBatch = 0;
      const endBatch = () => {
        if (!release) return;
        const done = release;
        release = undefined;
        inBatch = 0;
        try {
          cache.commit();
        } finally {
          done();
        }
      };
      const context: RecordContext = {
        heartbeat: noHeartbeat,
        signal,
        // The in-process changelog: nothing to fence, nothing committed twice (each record is read once).
        exactlyOnce: {
          begin: async () => ({ session: 0, handled: false }),
          commit: async (records, apply) => {
            enqueue(records);
            apply?.();
          },
        },
      };
      let records = 0;
      const run = async (record: ConsumedRecord) => {
        records++;
        if (release && (inBatch >= bounds.maxRecords || Date.now() - openedAt >= bounds.maxMs)) endBatch();
        if (!release) {
          const taken = await cache.turns.take();
          try {
            cache.begin();
          } catch (error) {
            taken();
            throw error;
          }
          release = taken;
          openedAt = Date.now();
        }
        inBatch++;
        await handler(record, { ...context, flush: async () => endBatch() });
      };
      const done = cache.turns
        .task(async (): Promise<ConsumeSummary> => {
          const input = openInput(options.path, options.stdin);
          for await (const entry of readEnvelopes(input, options.path, () => options.now())) {
            if (signal.aborted) break;
            if ('error' in entry) {
              badLines++;
              options.onBadLine(entry.error.message);
              continue;
            }
            const { envelope, body } = entry.parsed;
            const topic = replayTopic(envelope.topic, options.deploymentName);
            const partition = envelope.partition ?? 0;
            // The value as recorded, as replay sends it: an investigator on a broker reads the same bytes.
            const value = recordedValue(envelope, body);
            await run({
              topic,
              partition,
              offset: position(topic, partition, envelope.offset),
              timestamp: envelope.timestamp,
              key: envelope.key,
              headers: envelope.headers,
              value,
              size: value === null ? 0 : Buffer.byteLength(value),
              // Bytes that are not UTF-8 stay bytes: the decoder refuses them as upstream does.
              ...(envelope.raw ? { raw: envelope.raw } : {}),
            });
            // Follow-ups and decisions (and theirs) before the next recorded line, as a fast live system would.
            while (queue.length > 0 && !signal.aborted) await run(queue.shift()!);
          }
          if ('destroy' in input && input !== options.stdin) (input as NodeJS.ReadableStream & { destroy(): void }).destroy();
          return { records, reason: signal.aborted ? 'aborted' : 'end' };
        })
        .finally(() => {
          // What was handled stays handled: a file run has nothing to read again.
          try {
            endBatch();
          } catch {
            cache.rollback();
          }
        });
      return {
        done,
        // A file has no partitions to hold back; halting applies to brokers.
        pause: () => undefined,
        resume: () => undefined,
        lag: async () => [],
        assignment: () => [],
      };
    },
    knowledge: {
      // Nothing to read: every fact of the run is applied to the cache as it is written.
      endOffsets: async () => new Map(),
      follow: ({ signal }) => ({
        done: new Promise<void>((resolve) =>
          signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true }),
        ),
      }),
      partitionOf: async () => 0,
      send: async (records) => {
        enqueue(records);
        return [];
      },
    },
    // No broker: the dead letter lives in the cache only (`thoth query dead-letters`).
    deadLetterRecord: () => null,
  };
}

/**
 * Where the investigator's records come from, and where its follow-up
 * messages and dead letters go. Two sources share one shape:
 *
 * - a broker (Kafka or the embedded log): a consumer group over the topics of
 *   the chosen modes; follow-ups and dead letters are sent to the broker;
 * - a recorded file (`--from`): no broker at all; follow-ups go to an
 *   in-memory queue handled right after the record that caused them, so one
 *   run replays the whole loop of SPEC §1; dead letters go only to the cache.
 */
import { DEAD_LETTER_BASE_TOPIC, topicName } from '../messages/topics.js';
import { messageType } from '../messages/catalogue.js';
import { openInput, readEnvelopes } from '../messages/ndjson.js';
import { bodyOfValue, replayTopic } from '../messages/records.js';
import { serializeMessage, validateMessage, formatErrors } from '../messages/validate.js';
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
import type { DeadLetterWriter } from './delivery.js';

/** A message the investigator's own effects publish (adviser-re-run, ...). */
export interface FollowUp {
  messageType: string;
  message: Record<string, unknown>;
  key: string | null;
  headers: Record<string, string>;
}

export interface InvestigatorSource {
  readonly kind: 'broker' | 'file';
  /** For notices: the broker address or the file path. */
  readonly description: string;
  /** Creates the topics it reads and the dead-letter topic (upstream did at start-up; auto-creation is often off). */
  prepare(warn: (text: string) => void): Promise<void>;
  consume(handler: RecordHandler, signal: AbortSignal): Consumption;
  publish(followUp: FollowUp): Promise<void>;
  deadLetters: DeadLetterWriter;
  /** Lines of a recorded stream that were not envelopes (reported and skipped); 0 for a broker. */
  badLines(): number;
}

/** Header names on a dead letter (thoth's own; upstream had no dead-letter topic). */
export const DEAD_LETTER_HEADERS = {
  topic: 'thoth-source-topic',
  partition: 'thoth-source-partition',
  offset: 'thoth-source-offset',
  errorClass: 'thoth-error-class',
  reason: 'thoth-reason',
  /** Set when the value was left out because the dead letter would exceed the producer's size limit. */
  valueOmitted: 'thoth-value-omitted',
} as const;

/** Longest reason carried in a header; the whole reason is in the cache. */
const REASON_HEADER_LIMIT = 1000;

/** The follow-up as a record body, validated: an effect that builds an invalid message is a bug. */
function followUpBody(followUp: FollowUp): { topicBase: string; value: string } {
  const type = messageType(followUp.messageType);
  const checked = validateMessage(type, followUp.message);
  if (!checked.ok) throw new Error(`follow-up ${type.name} message is invalid: ${formatErrors(checked.errors)}`);
  return { topicBase: type.baseTopic, value: serializeMessage(type, checked.message) };
}

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
  broker: Broker;
  topics: string[];
  group: string;
  start: StartPosition;
  deploymentName?: string;
  partitionsConcurrently: number;
  /** The producer's size limit (KAFKA_MESSAGE_MAX_BYTES). */
  maxBytes: number;
}

export function brokerSource(options: BrokerSourceOptions): InvestigatorSource {
  const { broker, deploymentName } = options;
  return {
    kind: 'broker',
    badLines: () => 0,
    description: broker.kind === 'embedded' ? `embedded:${broker.address}` : broker.address,
    prepare: async (warn) => {
      const wanted = [...options.topics, topicName(DEAD_LETTER_BASE_TOPIC, deploymentName)];
      try {
        await broker.createTopics(wanted);
      } catch (error) {
        // Without the right to create topics, consumption still works for the ones that exist.
        warn(
          `could not create the investigator's topics (${error instanceof Error ? error.message : String(error)}); create them with \`thoth topics create\``,
        );
      }
    },
    consume: (handler, signal) =>
      broker.consume(
        {
          topics: options.topics,
          group: options.group,
          start: options.start,
          signal,
          partitionsConcurrently: options.partitionsConcurrently,
        },
        handler,
      ),
    publish: async (followUp) => {
      const { topicBase, value } = followUpBody(followUp);
      await broker.send([{ topic: topicName(topicBase, deploymentName), key: followUp.key, headers: followUp.headers, value }]);
    },
    deadLetters: {
      send: async (record, errorClass, reason) => {
        await broker.send([deadLetterRecord(record, errorClass, reason, deploymentName, options.maxBytes)]);
      },
    },
  };
}

export interface FileSourceOptions {
  path: string;
  stdin: NodeJS.ReadableStream;
  deploymentName?: string;
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
  const noHeartbeat = async () => undefined;
  let badLines = 0;

  return {
    kind: 'file',
    badLines: () => badLines,
    description: options.path,
    prepare: async () => undefined,
    consume: (handler, signal) => {
      const context: RecordContext = { heartbeat: noHeartbeat, signal };
      let records = 0;
      const run = async (record: ConsumedRecord) => {
        records++;
        await handler(record, context);
      };
      const done = (async (): Promise<ConsumeSummary> => {
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
          const value = body !== undefined ? body : bodyOfValue(envelope.value);
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
          // Follow-ups (and theirs) before the next recorded line, as a fast live system would.
          while (queue.length > 0 && !signal.aborted) await run(queue.shift()!);
        }
        if ('destroy' in input && input !== options.stdin) (input as NodeJS.ReadableStream & { destroy(): void }).destroy();
        return { records, reason: signal.aborted ? 'aborted' : 'end' };
      })();
      return {
        done,
        // A file has no partitions to hold back; halting applies to brokers.
        pause: () => undefined,
        resume: () => undefined,
        lag: async () => [],
      };
    },
    publish: async (followUp) => {
      const { topicBase, value } = followUpBody(followUp);
      const topic = topicName(topicBase, options.deploymentName);
      queue.push({
        topic,
        partition: 0,
        offset: position(topic, 0),
        timestamp: options.now(),
        key: followUp.key,
        headers: followUp.headers,
        value,
        size: Buffer.byteLength(value),
      });
    },
    // No broker: the dead letter lives in the cache only (`thoth query dead-letters`).
    deadLetters: { send: async () => undefined },
  };
}

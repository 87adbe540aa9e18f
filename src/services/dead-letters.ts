/**
 * `thoth dead-letters redrive`: re-publish a dead letter's original record
 * (value, key, headers) to its source topic, once.
 *
 * The cache's copy of a dead letter is for people: secrets masked, and a large
 * value may be cut short. So the original is read back from the broker where it
 * still is, in this order:
 *
 *   1. the source topic at the recorded partition and offset, when the dead
 *      letter came from this broker (exact bytes, key and headers);
 *   2. the dead-letter topic, whose record carries the original key, headers
 *      and value plus headers naming the source position;
 *   3. the cache's copy, only when it is whole: key recorded, value neither cut
 *      short nor masked (a `--from` run keeps dead letters in the cache only).
 *
 * When none holds it, the dead letter is reported as not re-drivable with the
 * reason for each place. A re-drive is recorded after the broker acknowledged
 * it; a dead letter re-driven before is refused unless `again` is set.
 */
import { resolve } from 'node:path';
import { carriesMask, maskedSecretFields } from '../messages/secrets.js';
import { DEAD_LETTER_BASE_TOPIC, DEAD_LETTER_HEADERS, REDRIVEN_FROM_HEADER, topicName } from '../messages/topics.js';
import type { DeadLetterEntry, RedriveCopy, Store } from '../store/index.js';
import type { Broker, ConsumedRecord, OutgoingRecord, RecordPosition } from '../transport/port.js';

export type RedriveStatus = 'redriven' | 'would-redrive' | 'already-redriven' | 'unavailable';

export interface RedriveResult {
  id: number;
  status: RedriveStatus;
  /** Where the original came from (redriven, would-redrive). */
  copy?: RedriveCopy;
  /** The source topic it is (or would be) re-published to. */
  topic: string;
  /** Where it landed (redriven). */
  position?: RecordPosition;
  /** Why not, or what to know (already-redriven, unavailable). */
  note?: string;
}

export interface RedriveOptions {
  dryRun: boolean;
  /** Re-drive dead letters that were re-driven before. */
  again: boolean;
  deploymentName?: string;
}

export interface RedrivePorts {
  broker: Broker;
  store: Pick<Store, 'recordRedrive' | 'transaction'>;
  now(): number;
  signal: AbortSignal;
}

interface Original {
  copy: RedriveCopy;
  record: Pick<OutgoingRecord, 'key' | 'headers' | 'value' | 'raw'>;
}

/** How a dead letter records this broker as its origin (src/investigate/runner.ts). */
export function brokerOrigin(broker: Pick<Broker, 'kind' | 'address'>): string {
  return broker.kind === 'embedded' ? `embedded:${resolve(broker.address)}` : broker.address;
}

/** Whether a dead letter came from this broker (an embedded log named by a relative path is the same file). */
function fromThisBroker(origin: string, broker: Pick<Broker, 'kind' | 'address'>): boolean {
  return (origin.startsWith('embedded:') ? `embedded:${resolve(origin.slice('embedded:'.length))}` : origin) === brokerOrigin(broker);
}

const positionText = (letter: Pick<DeadLetterEntry, 'topic' | 'partition' | 'offset'>) =>
  `${letter.topic}/${letter.partition}/${letter.offset}`;

/** Reads the one record at a position, or undefined when the topic no longer holds it (retention, compaction). */
async function readAt(broker: Broker, at: RecordPosition, signal: AbortSignal): Promise<ConsumedRecord | undefined> {
  const stop = new AbortController();
  let found: ConsumedRecord | undefined;
  const consumption = broker.consume(
    { topics: [at.topic], start: { from: 'offset', offset: at.offset }, exitAtEnd: true, signal: AbortSignal.any([signal, stop.signal]) },
    async (record) => {
      if (record.partition !== at.partition) return;
      if (record.offset === at.offset) found = record;
      // Past the position (or at it): nothing more to read.
      if (record.offset >= at.offset) stop.abort();
    },
  );
  await consumption.done;
  return found;
}

/** The records of the dead-letter topic, by the source position their headers name (the newest per position). */
async function deadLetterTopicRecords(broker: Broker, deploymentName: string | undefined, signal: AbortSignal) {
  const byPosition = new Map<string, ConsumedRecord>();
  const consumption = broker.consume(
    { topics: [topicName(DEAD_LETTER_BASE_TOPIC, deploymentName)], start: { from: 'earliest' }, exitAtEnd: true, signal },
    async (record) => {
      const h = record.headers;
      const topic = h[DEAD_LETTER_HEADERS.topic];
      if (topic === undefined) return;
      byPosition.set(`${topic}/${h[DEAD_LETTER_HEADERS.partition]}/${h[DEAD_LETTER_HEADERS.offset]}`, record);
    },
  );
  await consumption.done;
  return byPosition;
}

/** A record read back, as it is to be sent again (bytes that are not text stay bytes). */
function asOriginal(record: ConsumedRecord, headers = record.headers): Original['record'] {
  return { key: record.key, headers, value: record.value, ...(record.raw ? { raw: record.raw } : {}) };
}

/** The original record from a dead-letter topic record: without the headers the investigator added. */
function fromDeadLetterRecord(record: ConsumedRecord): Original['record'] {
  const added = new Set<string>(Object.values(DEAD_LETTER_HEADERS));
  return asOriginal(record, Object.fromEntries(Object.entries(record.headers).filter(([name]) => !added.has(name))));
}

/** Why the cache's copy cannot stand for the original, or undefined when it can. */
export function cacheCopyProblem(letter: DeadLetterEntry): string | undefined {
  if (letter.key === undefined) return 'the cache did not record the key (a dead letter kept by an older thoth)';
  if (letter.value_truncated) return 'the cache kept only the start of the value';
  if (Object.values(letter.headers).some(carriesMask)) return 'the cache kept the headers with their secrets masked';
  if (maskedSecretFields(letter.value).length > 0 || carriesMask(JSON.stringify(letter.value ?? null)))
    return 'the cache kept the value with its secrets masked';
  return undefined;
}

function fromCache(letter: DeadLetterEntry): Original['record'] {
  const value =
    letter.value === null || letter.value === undefined
      ? null
      : typeof letter.value === 'string'
        ? letter.value
        : JSON.stringify(letter.value);
  return { key: letter.key ?? null, headers: letter.headers, value };
}

/** Finds each letter's original; a letter without one gets the reasons, one per place looked at. */
async function findOriginals(letters: DeadLetterEntry[], options: RedriveOptions, ports: RedrivePorts) {
  const found = new Map<number, Original | { reasons: string[] }>();
  const origin = brokerOrigin(ports.broker);
  let deadLetterTopic: Map<string, ConsumedRecord> | undefined;
  for (const letter of letters) {
    const reasons: string[] = [];
    if (fromThisBroker(letter.origin, ports.broker)) {
      const record = await readAt(ports.broker, letter, ports.signal);
      if (record) {
        found.set(letter.id, { copy: 'source-topic', record: asOriginal(record) });
        continue;
      }
      reasons.push(`${letter.topic} no longer holds offset ${letter.offset} of partition ${letter.partition}`);
    } else {
      reasons.push(`it came from ${letter.origin || 'an unrecorded source'}, not from ${origin}`);
    }
    if (!letter.origin.startsWith('file:')) {
      deadLetterTopic ??= await deadLetterTopicRecords(ports.broker, options.deploymentName, ports.signal);
      const record = deadLetterTopic.get(positionText(letter));
      if (record && record.headers[DEAD_LETTER_HEADERS.valueOmitted] === undefined) {
        found.set(letter.id, { copy: 'dead-letter-topic', record: fromDeadLetterRecord(record) });
        continue;
      }
      reasons.push(
        record
          ? `its dead-letter record left the value out (${record.headers[DEAD_LETTER_HEADERS.valueOmitted]}, over the size limit)`
          : `${topicName(DEAD_LETTER_BASE_TOPIC, options.deploymentName)} holds no record of it`,
      );
    }
    const problem = cacheCopyProblem(letter);
    if (!problem) {
      found.set(letter.id, { copy: 'cache', record: fromCache(letter) });
      continue;
    }
    reasons.push(problem);
    found.set(letter.id, { reasons });
  }
  return found;
}

/** Re-drives the letters in order; each result says what happened to one. */
export async function redriveDeadLetters(
  letters: DeadLetterEntry[],
  options: RedriveOptions,
  ports: RedrivePorts,
): Promise<RedriveResult[]> {
  const results: RedriveResult[] = [];
  const wanted = letters.filter((l) => options.again || l.redrives.length === 0);
  const originals = await findOriginals(wanted, options, ports);
  for (const letter of letters) {
    const base = { id: letter.id, topic: letter.topic };
    const last = letter.redrives.at(-1);
    if (last && !options.again) {
      results.push({
        ...base,
        status: 'already-redriven',
        note: `re-driven at ${last.at} to ${last.topic}/${last.partition}/${last.offset}; --again sends it once more`,
      });
      continue;
    }
    const original = originals.get(letter.id);
    if (!original || 'reasons' in original) {
      results.push({ ...base, status: 'unavailable', note: `the original record is nowhere to be read: ${original?.reasons.join('; ')}` });
      continue;
    }
    if (options.dryRun) {
      results.push({ ...base, status: 'would-redrive', copy: original.copy });
      continue;
    }
    const record: OutgoingRecord = {
      topic: letter.topic,
      ...original.record,
      headers: { ...original.record.headers, [REDRIVEN_FROM_HEADER]: positionText(letter) },
    };
    const [position] = await ports.broker.send([record]);
    ports.store.transaction(() =>
      ports.store.recordRedrive(letter.id, { at: new Date(ports.now()).toISOString(), copy: original.copy, ...position }),
    );
    results.push({ ...base, status: 'redriven', copy: original.copy, position });
  }
  return results;
}

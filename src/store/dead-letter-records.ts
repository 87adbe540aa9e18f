/**
 * Dead letters read back from the dead-letter topic (SPEC §5.1). Each record
 * there is the original record (key, headers, value) plus headers naming
 * where it came from and why it failed (src/investigate/sources.ts). A cache
 * that reads the topic keeps every dead letter it does not hold yet, as the
 * investigator that wrote it kept it: so a dead letter committed to Kafka is
 * in the cache even when the process died before its own SQLite commit, and
 * every replica's cache lists the deployment's dead letters.
 */
import { cachedValue } from '../messages/dead-letter-copy.js';
import type { ConsumedRecord } from '../messages/broker-records.js';
import { maskHeaders } from '../messages/secrets.js';
import { DEAD_LETTER_HEADERS } from '../messages/topics.js';
import type { DeadLetter } from './types.js';

export interface KeptDeadLetters {
  /** Dead letters the cache did not hold and keeps now. */
  applied: number;
  /** Records that are not dead letters (a header missing or wrong), by their index in the batch. */
  unreadable: Array<{ index: number; reason: string }>;
}

const THOTH_HEADERS = new Set<string>(Object.values(DEAD_LETTER_HEADERS));

/** The dead letter a record of the dead-letter topic stands for, as it came from `origin`; a string says why it is none. */
function deadLetterOfRecord(record: Pick<ConsumedRecord, 'key' | 'headers' | 'value' | 'timestamp'>, origin: string): DeadLetter | string {
  const header = (name: string) => record.headers[name];
  const topic = header(DEAD_LETTER_HEADERS.topic);
  const partition = Number(header(DEAD_LETTER_HEADERS.partition));
  const offset = Number(header(DEAD_LETTER_HEADERS.offset));
  if (!topic) return `it has no ${DEAD_LETTER_HEADERS.topic} header`;
  if (!Number.isInteger(partition) || partition < 0) return `its ${DEAD_LETTER_HEADERS.partition} header is not a partition`;
  if (!Number.isInteger(offset) || offset < 0) return `its ${DEAD_LETTER_HEADERS.offset} header is not an offset`;
  const original: Record<string, string> = {};
  for (const [name, value] of Object.entries(record.headers)) if (!THOTH_HEADERS.has(name)) original[name] = value;
  return {
    origin,
    topic,
    partition,
    offset,
    errorClass: header(DEAD_LETTER_HEADERS.errorClass) || 'Unknown',
    reason: header(DEAD_LETTER_HEADERS.reason) || 'no reason recorded',
    ...cachedValue(record.value),
    headers: maskHeaders(original),
    key: record.key,
    createdAt: new Date(record.timestamp).toISOString(),
  };
}

/** Keeps, in the caller's transaction, the dead letters of these records that the cache does not hold. */
export function keepDeadLetterRecords(
  records: ReadonlyArray<Pick<ConsumedRecord, 'key' | 'headers' | 'value' | 'timestamp'>>,
  origin: string,
  keep: (letter: DeadLetter) => boolean,
): KeptDeadLetters {
  let applied = 0;
  const unreadable: KeptDeadLetters['unreadable'] = [];
  records.forEach((record, index) => {
    const letter = deadLetterOfRecord(record, origin);
    if (typeof letter === 'string') unreadable.push({ index, reason: `not a dead letter: ${letter}` });
    else if (keep(letter)) applied++;
  });
  return { applied, unreadable };
}

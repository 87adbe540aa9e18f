/**
 * The embedded broker's storage: topics as append-only logs with one
 * partition (0), and consumer-group offsets, in the same SQLite file as the
 * knowledge cache. Appends run in IMMEDIATE transactions, so several
 * processes can publish at once and each record gets the next offset.
 */
import type Database from 'better-sqlite3';
import type { ConsumedRecord, OutgoingRecord, RecordPosition, TopicInfo } from '../transport/port.js';
import type { Prepare } from './statements.js';

export interface EmbeddedLog {
  /** Appends the records in one transaction (creating missing topics) and returns their positions. */
  appendRecords(records: OutgoingRecord[]): RecordPosition[];
  /** Creates the topic when it does not exist; true when it was created now. */
  createLogTopic(name: string): boolean;
  logTopics(): TopicInfo[];
  /** The offset the next record of the partition will get (0 for a topic that does not exist). */
  logEndOffset(topic: string, partition: number): number;
  /** The first offset still in the log (the end offset when it is empty). */
  logStartOffset(topic: string, partition: number): number;
  /** The first offset whose timestamp is at or after `timestamp`; the end offset when none is. */
  logOffsetForTimestamp(topic: string, partition: number, timestamp: number): number;
  readLog(topic: string, partition: number, fromOffset: number, limit: number): ConsumedRecord[];
  committedOffset(group: string, topic: string, partition: number): number | undefined;
  /** Stores the next offset the group reads. */
  commitOffset(group: string, topic: string, partition: number, nextOffset: number): void;
}

interface LogRow {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  headers: string;
  value: string | null;
}

export function embeddedLog(db: Database.Database, prepare: Prepare): EmbeddedLog {
  const createLogTopic = (name: string) =>
    prepare('INSERT INTO log_topics (name, partitions, next_offset, created_at) VALUES (?, 1, 0, ?) ON CONFLICT (name) DO NOTHING').run(
      name,
      new Date().toISOString(),
    ).changes === 1;
  const logEndOffset = (topic: string, partition: number) =>
    partition !== 0 ? 0 : ((prepare('SELECT next_offset FROM log_topics WHERE name = ?').get(topic) as { next_offset: number } | undefined)?.next_offset ?? 0);

  const append = db.transaction((records: OutgoingRecord[]) => {
    const positions: RecordPosition[] = [];
    const insert = prepare('INSERT INTO log_records (topic, partition, "offset", timestamp, key, headers, value) VALUES (?, 0, ?, ?, ?, ?, ?)');
    const advance = prepare('UPDATE log_topics SET next_offset = next_offset + 1 WHERE name = ? RETURNING next_offset - 1 AS "offset"');
    for (const record of records) {
      createLogTopic(record.topic);
      const { offset } = advance.get(record.topic) as { offset: number };
      insert.run(record.topic, offset, record.timestamp ?? Date.now(), record.key, JSON.stringify(record.headers ?? {}), record.value);
      positions.push({ topic: record.topic, partition: 0, offset });
    }
    return positions;
  });

  return {
    appendRecords: (records) => append.immediate(records),
    createLogTopic,
    logTopics: () =>
      (prepare('SELECT name, partitions, next_offset FROM log_topics ORDER BY name').all() as Array<{ name: string; partitions: number; next_offset: number }>).map(
        (t) => ({ name: t.name, partitions: t.partitions, messages: t.next_offset }),
      ),
    logEndOffset,
    logStartOffset: (topic, partition) =>
      (prepare('SELECT min("offset") AS first FROM log_records WHERE topic = ? AND partition = ?').get(topic, partition) as { first: number | null }).first ??
      logEndOffset(topic, partition),
    logOffsetForTimestamp: (topic, partition, timestamp) =>
      (prepare('SELECT min("offset") AS first FROM log_records WHERE topic = ? AND partition = ? AND timestamp >= ?').get(topic, partition, timestamp) as {
        first: number | null;
      }).first ?? logEndOffset(topic, partition),
    readLog: (topic, partition, fromOffset, limit) =>
      (
        prepare('SELECT topic, partition, "offset", timestamp, key, headers, value FROM log_records WHERE topic = ? AND partition = ? AND "offset" >= ? ORDER BY "offset" LIMIT ?').all(
          topic,
          partition,
          fromOffset,
          limit,
        ) as LogRow[]
      ).map((row) => ({
        topic: row.topic,
        partition: row.partition,
        offset: row.offset,
        timestamp: row.timestamp,
        key: row.key,
        headers: JSON.parse(row.headers) as Record<string, string>,
        value: row.value,
        size: row.value === null ? 0 : Buffer.byteLength(row.value, 'utf8'),
      })),
    committedOffset: (group, topic, partition) =>
      (prepare('SELECT "offset" FROM log_group_offsets WHERE group_id = ? AND topic = ? AND partition = ?').get(group, topic, partition) as { offset: number } | undefined)
        ?.offset,
    commitOffset: (group, topic, partition, nextOffset) => {
      prepare(
        `INSERT INTO log_group_offsets (group_id, topic, partition, "offset", committed_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (group_id, topic, partition) DO UPDATE SET "offset" = excluded."offset", committed_at = excluded.committed_at`,
      ).run(group, topic, partition, nextOffset, new Date().toISOString());
    },
  };
}

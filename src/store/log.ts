/**
 * The embedded broker's storage: topics as append-only logs with one
 * partition (0), and consumer-group offsets, in the same SQLite file as the
 * knowledge cache. Appends run in IMMEDIATE transactions, so several
 * processes can publish at once and each record gets the next offset.
 *
 * Group membership is a lease per (group, topic, partition): one member reads
 * a partition at a time, and a member that stops renewing (killed) loses it
 * once it expires. Each change of owner bumps the lease's generation, and a
 * commit names the lease it was made under, so a member that lost its
 * partition cannot move the group's offset (it is fenced).
 */
import type Database from 'better-sqlite3';
import { isoNow, type Clock } from '../core/clock.js';
import type { ConsumedRecord, OutgoingRecord, RecordPosition, TopicInfo } from '../messages/broker-records.js';
import type { Prepare } from './statements.js';

/** A member's hold on a partition; `generation` changes whenever the partition changes owner. */
export interface PartitionLease {
  owner: string;
  generation: number;
}

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
  /** At most `limit` records from `fromOffset` on; with `maxBytes`, none after the one whose values reach it (a first one always). */
  readLog(topic: string, partition: number, fromOffset: number, limit: number, maxBytes?: number): ConsumedRecord[];
  committedOffset(group: string, topic: string, partition: number): number | undefined;
  /**
   * Stores the next offset the group reads, never moving it backwards; with a
   * lease, only while that lease still holds the partition. False when refused.
   */
  commitOffset(group: string, topic: string, partition: number, nextOffset: number, lease?: PartitionLease): boolean;
  /**
   * Leases the partition to `owner` until `now + leaseMs` when it is free,
   * released, expired, or already this owner's; undefined while another
   * member's lease is live.
   */
  acquireLease(group: string, topic: string, partition: number, owner: string, now: number, leaseMs: number): PartitionLease | undefined;
  /** Extends the lease; false when another member has taken the partition since. */
  renewLease(group: string, topic: string, partition: number, lease: PartitionLease, now: number, leaseMs: number): boolean;
  /** Gives the partition up at once (a clean stop), so that another member need not wait for the expiry. */
  releaseLease(group: string, topic: string, partition: number, lease: PartitionLease): void;
  /** Every group that has committed an offset or holds a lease. */
  logGroups(): string[];
  /** The group's committed offsets (the next offset it reads), by topic and partition. */
  groupOffsets(group: string): Array<{ topic: string; partition: number; offset: number }>;
  /** The live leases of the group at `now`: its members and what each reads. */
  groupLeases(group: string, now: number): Array<{ owner: string; topic: string; partition: number }>;
  /** Sets the group's offset, backwards too (thoth groups reset-offsets; the group has no member then). */
  setGroupOffset(group: string, topic: string, partition: number, offset: number): void;
}

interface LeaseRow {
  owner: string;
  generation: number;
  expires_at: number;
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

export function embeddedLog(db: Database.Database, prepare: Prepare, clock: Clock): EmbeddedLog {
  const createLogTopic = (name: string) =>
    prepare('INSERT INTO log_topics (name, partitions, next_offset, created_at) VALUES (?, 1, 0, ?) ON CONFLICT (name) DO NOTHING').run(
      name,
      isoNow(clock),
    ).changes === 1;
  const logEndOffset = (topic: string, partition: number) =>
    partition !== 0
      ? 0
      : ((prepare('SELECT next_offset FROM log_topics WHERE name = ?').get(topic) as { next_offset: number } | undefined)?.next_offset ??
        0);

  const append = db.transaction((records: OutgoingRecord[]) => {
    const insert = prepare(
      'INSERT INTO log_records (topic, partition, "offset", timestamp, key, headers, value) VALUES (?, 0, ?, ?, ?, ?, ?)',
    );
    // Each topic's end moves once for all its records of the send (three statements a record, before).
    const counts = new Map<string, number>();
    for (const record of records) counts.set(record.topic, (counts.get(record.topic) ?? 0) + 1);
    const next = new Map<string, number>();
    for (const [topic, count] of counts) {
      createLogTopic(topic);
      const { first } = prepare(
        'UPDATE log_topics SET next_offset = next_offset + ? WHERE name = ? RETURNING next_offset - ? AS first',
      ).get(count, topic, count) as { first: number };
      next.set(topic, first);
    }
    // A send's records are stamped together, as a producer's batch is.
    const now = clock.now();
    return records.map((record): RecordPosition => {
      const offset = next.get(record.topic)!;
      next.set(record.topic, offset + 1);
      const headers = record.headers && Object.keys(record.headers).length > 0 ? JSON.stringify(record.headers) : '{}';
      insert.run(record.topic, offset, record.timestamp ?? now, record.key, headers, record.value);
      return { topic: record.topic, partition: 0, offset };
    });
  });

  const leaseOf = (group: string, topic: string, partition: number) =>
    prepare('SELECT owner, generation, expires_at FROM log_group_leases WHERE group_id = ? AND topic = ? AND partition = ?').get(
      group,
      topic,
      partition,
    ) as LeaseRow | undefined;

  const acquire = db.transaction(
    (group: string, topic: string, partition: number, owner: string, now: number, leaseMs: number): PartitionLease | undefined => {
      const current = leaseOf(group, topic, partition);
      if (current !== undefined && current.owner !== owner && current.expires_at > now) return undefined;
      // Still this owner's (even if it lapsed, nobody took it, so nobody committed since): same generation.
      const generation = current === undefined ? 1 : current.owner === owner ? current.generation : current.generation + 1;
      prepare(
        `INSERT INTO log_group_leases (group_id, topic, partition, owner, generation, expires_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (group_id, topic, partition) DO UPDATE SET owner = excluded.owner, generation = excluded.generation, expires_at = excluded.expires_at`,
      ).run(group, topic, partition, owner, generation, now + leaseMs);
      return { owner, generation };
    },
  );

  const commit = db.transaction(
    (group: string, topic: string, partition: number, nextOffset: number, lease: PartitionLease | undefined): boolean => {
      if (lease !== undefined) {
        const current = leaseOf(group, topic, partition);
        if (current?.owner !== lease.owner || current.generation !== lease.generation) return false;
      }
      const result = prepare(
        `INSERT INTO log_group_offsets (group_id, topic, partition, "offset", committed_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (group_id, topic, partition) DO UPDATE SET "offset" = excluded."offset", committed_at = excluded.committed_at
       WHERE excluded."offset" >= log_group_offsets."offset"`,
      ).run(group, topic, partition, nextOffset, isoNow(clock));
      return result.changes === 1;
    },
  );

  return {
    appendRecords: (records) => append.immediate(records),
    createLogTopic,
    logTopics: () =>
      (
        prepare('SELECT name, partitions, next_offset FROM log_topics ORDER BY name').all() as Array<{
          name: string;
          partitions: number;
          next_offset: number;
        }>
      ).map((t) => ({ name: t.name, partitions: t.partitions, messages: t.next_offset })),
    logEndOffset,
    logStartOffset: (topic, partition) =>
      (
        prepare('SELECT min("offset") AS first FROM log_records WHERE topic = ? AND partition = ?').get(topic, partition) as {
          first: number | null;
        }
      ).first ?? logEndOffset(topic, partition),
    logOffsetForTimestamp: (topic, partition, timestamp) =>
      (
        prepare('SELECT min("offset") AS first FROM log_records WHERE topic = ? AND partition = ? AND timestamp >= ?').get(
          topic,
          partition,
          timestamp,
        ) as {
          first: number | null;
        }
      ).first ?? logEndOffset(topic, partition),
    readLog: (topic, partition, fromOffset, limit, maxBytes = Infinity) => {
      const records: ConsumedRecord[] = [];
      let bytes = 0;
      const rows = prepare(
        'SELECT topic, partition, "offset", timestamp, key, headers, value FROM log_records WHERE topic = ? AND partition = ? AND "offset" >= ? ORDER BY "offset" LIMIT ?',
      ).iterate(topic, partition, fromOffset, limit) as IterableIterator<LogRow>;
      for (const row of rows) {
        const size = row.value === null ? 0 : Buffer.byteLength(row.value, 'utf8');
        records.push({
          topic: row.topic,
          partition: row.partition,
          offset: row.offset,
          timestamp: row.timestamp,
          key: row.key,
          headers: JSON.parse(row.headers) as Record<string, string>,
          value: row.value,
          size,
        });
        if ((bytes += size) >= maxBytes) break;
      }
      return records;
    },
    committedOffset: (group, topic, partition) =>
      (
        prepare('SELECT "offset" FROM log_group_offsets WHERE group_id = ? AND topic = ? AND partition = ?').get(
          group,
          topic,
          partition,
        ) as { offset: number } | undefined
      )?.offset,
    commitOffset: (group, topic, partition, nextOffset, lease) => commit.immediate(group, topic, partition, nextOffset, lease),
    acquireLease: (group, topic, partition, owner, now, leaseMs) => {
      // Idle members ask often: a plain read answers "still held" without taking the write lock.
      const current = leaseOf(group, topic, partition);
      if (current !== undefined && current.owner !== owner && current.expires_at > now) return undefined;
      return acquire.immediate(group, topic, partition, owner, now, leaseMs);
    },
    renewLease: (group, topic, partition, lease, now, leaseMs) =>
      prepare(
        'UPDATE log_group_leases SET expires_at = ? WHERE group_id = ? AND topic = ? AND partition = ? AND owner = ? AND generation = ?',
      ).run(now + leaseMs, group, topic, partition, lease.owner, lease.generation).changes === 1,
    logGroups: () =>
      (
        prepare('SELECT group_id FROM log_group_offsets UNION SELECT group_id FROM log_group_leases ORDER BY 1').all() as Array<{
          group_id: string;
        }>
      ).map((r) => r.group_id),
    groupOffsets: (group) =>
      prepare('SELECT topic, partition, "offset" FROM log_group_offsets WHERE group_id = ? ORDER BY topic, partition').all(group) as Array<{
        topic: string;
        partition: number;
        offset: number;
      }>,
    groupLeases: (group, now) =>
      prepare(
        'SELECT owner, topic, partition FROM log_group_leases WHERE group_id = ? AND expires_at > ? ORDER BY owner, topic, partition',
      ).all(group, now) as Array<{ owner: string; topic: string; partition: number }>,
    setGroupOffset: (group, topic, partition, offset) => {
      prepare(
        `INSERT INTO log_group_offsets (group_id, topic, partition, "offset", committed_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (group_id, topic, partition) DO UPDATE SET "offset" = excluded."offset", committed_at = excluded.committed_at`,
      ).run(group, topic, partition, offset, isoNow(clock));
    },
    releaseLease: (group, topic, partition, lease) => {
      prepare(
        'UPDATE log_group_leases SET expires_at = 0 WHERE group_id = ? AND topic = ? AND partition = ? AND owner = ? AND generation = ?',
      ).run(group, topic, partition, lease.owner, lease.generation);
    },
  };
}

/**
 * The cache's side of the knowledge topic: applying fact records (read from
 * the topic, or written by this process), listing them again (`thoth cache
 * rebuild`), and how far each partition of a knowledge topic has been read.
 */
import { decodeFact, encodeFact, type DecodedFact, type FactRecord } from '../facts/codec.js';
import type { Fact } from '../facts/facts.js';
import { canonicalTime } from './names.js';
import type { AppliedFacts, Projection } from './projection.js';
import type { Prepare } from './statements.js';

export interface AppliedRecords extends AppliedFacts {
  /** Records this thoth cannot read (a newer format, broken JSON): not applied. `index` is the record's place in the input. */
  unreadable: Array<{ index: number; key: string | null; reason: string }>;
}

/** How far the cache has read one partition of a knowledge topic. */
export interface ChangelogPosition {
  partition: number;
  /** The next offset to read. */
  nextOffset: number;
  /** Timestamp (ISO) of the last record read, null before any. */
  lastRecordAt: string | null;
}

export interface FactFunctions {
  /** Applies records as read from a knowledge topic (the caller's transaction); unreadable ones are returned, not applied. */
  applyFactRecords(records: Array<{ key: string | null; value: string | null }>): AppliedRecords;
  /** Applies facts made here (`encoded`: their records, when the caller has them already); none is unreadable. */
  applyFacts(facts: Fact[], encoded?: FactRecord[]): AppliedRecords;
  /** The facts the cache holds, in key order, after `afterKey` (null: from the first): what `thoth cache rebuild` publishes. */
  factRecords(afterKey: string | null, limit: number): FactRecord[];
  factCount(): number;
  /** The newest `at` among the facts, null when there are none. */
  newestFactAt(): string | null;
  changelogPositions(topic: string): ChangelogPosition[];
  setChangelogPosition(topic: string, position: ChangelogPosition, at: string): void;
  /** Forgets how far a topic was read (it was recreated): the next read starts at its beginning. */
  resetChangelog(topic: string): void;
}

export function factFunctions(prepare: Prepare, project: Projection): FactFunctions {
  /** Whether the cache holds this very fact (this process's own, read back from the knowledge topic). */
  const holds = (key: string, value: string) => prepare('SELECT 1 FROM facts WHERE key = ? AND value = ?').get(key, value) !== undefined;
  const applyFactRecords = (records: Array<{ key: string | null; value: string | null }>): AppliedRecords => {
    const decoded: DecodedFact[] = [];
    const unreadable: AppliedRecords['unreadable'] = [];
    // A fact held already changes no row: it is not even decoded (counted as applied, as applying it would be).
    let held = 0;
    records.forEach((record, index) => {
      if (record.key !== null && record.value !== null && holds(record.key, record.value)) {
        held++;
        return;
      }
      const d = decodeFact(record);
      if (d.type === 'unreadable') unreadable.push({ index, key: d.key, reason: d.reason });
      decoded.push(d);
    });
    const applied = project.apply(decoded);
    return { ...applied, applied: applied.applied + held, unreadable };
  };
  return {
    applyFactRecords,
    applyFacts: (facts, encoded = facts.map(encodeFact)) => ({
      // Not decoded again: the record is this very fact.
      ...project.apply(facts.map((fact, i) => ({ type: 'fact', key: encoded[i].key, value: encoded[i].value!, fact }))),
      unreadable: [],
    }),
    factRecords: (afterKey, limit) =>
      prepare('SELECT key, value FROM facts WHERE ? IS NULL OR key > ? ORDER BY key LIMIT ?').all(
        afterKey,
        afterKey,
        limit,
      ) as FactRecord[],
    factCount: () => (prepare('SELECT count(*) AS n FROM facts').get() as { n: number }).n,
    newestFactAt: () => (prepare('SELECT max(at) AS at FROM facts').get() as { at: string | null }).at,
    changelogPositions: (topic) =>
      (
        prepare('SELECT partition, next_offset, last_fact_at FROM changelog_offsets WHERE topic = ? ORDER BY partition').all(
          topic,
        ) as Array<{
          partition: number;
          next_offset: number;
          last_fact_at: string | null;
        }>
      ).map((r) => ({ partition: r.partition, nextOffset: r.next_offset, lastRecordAt: r.last_fact_at })),
    setChangelogPosition: (topic, position, at) => {
      prepare(
        `INSERT INTO changelog_offsets (topic, partition, next_offset, last_fact_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset,
           last_fact_at = coalesce(excluded.last_fact_at, changelog_offsets.last_fact_at), updated_at = excluded.updated_at`,
      ).run(topic, position.partition, position.nextOffset, position.lastRecordAt, canonicalTime(at));
    },
    resetChangelog: (topic) => void prepare('DELETE FROM changelog_offsets WHERE topic = ?').run(topic),
  };
}

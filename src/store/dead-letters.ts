/**
 * Dead letters as `thoth dead-letters` sees them: each with its id, what the
 * cache kept of the record, and whether (and where) it was re-driven. The
 * cache's copy of a value is for people (secrets masked); re-driving reads the
 * original from the broker where it can (src/services/dead-letters.ts).
 */
import type { Prepare } from './statements.js';
import { canonicalTime } from './names.js';

export interface Redrive {
  at: string;
  /** Where the re-published original came from. */
  copy: RedriveCopy;
  topic: string;
  partition: number;
  offset: number;
}

export type RedriveCopy = 'source-topic' | 'dead-letter-topic' | 'cache';

export interface DeadLetterEntry {
  id: number;
  /** The broker's address (`kafka://…`, `embedded:PATH`) or `file:PATH` of the run that dead-lettered it; '' when not recorded. */
  origin: string;
  topic: string;
  partition: number;
  offset: number;
  error_class: string;
  reason: string;
  /** The record's key; undefined when the cache did not record it. */
  key?: string | null;
  /** The value as the cache kept it (secrets masked): the JSON value, or the text when it was not JSON. */
  value: unknown;
  headers: Record<string, string>;
  created_at: string;
  /** Every re-drive, oldest first. */
  redrives: Redrive[];
  /** The value was too large to keep: the cache holds its size, SHA-256 and first bytes only. */
  value_truncated?: true;
}

export interface DeadLetterFilter {
  ids?: number[];
  errorClass?: string;
  /** Full source topic name. */
  topic?: string;
  /** ISO-8601 bounds on when it was dead-lettered. */
  since?: string;
  until?: string;
  /** Only those never re-driven (true) or only re-driven ones (false). */
  pending?: boolean;
  limit?: number;
}

interface Row {
  id: number;
  origin: string;
  topic: string;
  partition: number;
  offset: number;
  error_class: string;
  reason: string;
  value: string | null;
  value_is_json: number;
  headers: string;
  created_at: string;
  record_key: string | null;
  key_known: number;
  redrives: string;
}

function entry(row: Row): DeadLetterEntry {
  const redrives = (JSON.parse(row.redrives) as Array<Redrive | null>).filter((r): r is Redrive => r !== null);
  return {
    id: row.id,
    origin: row.origin,
    topic: row.topic,
    partition: row.partition,
    offset: row.offset,
    error_class: row.error_class,
    reason: row.reason,
    ...(row.key_known ? { key: row.record_key } : {}),
    value: row.value !== null && row.value_is_json ? (JSON.parse(row.value) as unknown) : row.value,
    headers: JSON.parse(row.headers) as Record<string, string>,
    created_at: row.created_at,
    redrives: redrives.sort((a, b) => a.at.localeCompare(b.at)),
    ...(row.value_is_json === 2 ? { value_truncated: true as const } : {}),
  };
}

export function deadLetterFunctions(prepare: Prepare) {
  /** Dead letters matching every given filter, oldest first. */
  function deadLetters(filter: DeadLetterFilter = {}): DeadLetterEntry[] {
    const rows = prepare(
      `SELECT d.id, d.origin, d.topic, d.partition, d."offset" AS "offset", d.error_class, d.reason, d.value, d.value_is_json,
           d.headers, d.created_at, d.record_key, d.key_known,
           (SELECT json_group_array(json_object('at', r.redriven_at, 'copy', r.copy, 'topic', r.topic, 'partition', r.partition, 'offset', r."offset"))
              FROM dead_letter_redrives r WHERE r.dead_letter_id = d.id) AS redrives
         FROM dead_letters d
         WHERE (@ids IS NULL OR d.id IN (SELECT value FROM json_each(@ids)))
           AND (@errorClass IS NULL OR d.error_class = @errorClass)
           AND (@topic IS NULL OR d.topic = @topic)
           AND (@since IS NULL OR d.created_at >= @since)
           AND (@until IS NULL OR d.created_at < @until)
           AND (@pending IS NULL OR EXISTS (SELECT 1 FROM dead_letter_redrives r WHERE r.dead_letter_id = d.id) = (1 - @pending))
         ORDER BY d.created_at, d.id
         LIMIT @limit`,
    ).all({
      ids: filter.ids ? JSON.stringify(filter.ids) : null,
      errorClass: filter.errorClass ?? null,
      topic: filter.topic ?? null,
      since: filter.since ?? null,
      until: filter.until ?? null,
      pending: filter.pending === undefined ? null : filter.pending ? 1 : 0,
      limit: filter.limit ?? -1,
    }) as Row[];
    return rows.map(entry);
  }
  return {
    deadLetters,
    deadLetter: (id: number): DeadLetterEntry | undefined => deadLetters({ ids: [id] })[0],
    /** Records that the dead letter was re-published (after the broker acknowledged it). */
    recordRedrive(id: number, redrive: Redrive): void {
      prepare(
        `INSERT INTO dead_letter_redrives (dead_letter_id, redriven_at, copy, topic, partition, "offset") VALUES (?, ?, ?, ?, ?, ?)`,
      ).run(id, canonicalTime(redrive.at), redrive.copy, redrive.topic, redrive.partition, redrive.offset);
    },
  };
}

export type DeadLetterFunctions = ReturnType<typeof deadLetterFunctions>;

/**
 * The workflow ledger (what was scheduled, from which message, in what state),
 * the consumer inbox (which records were processed, with what outcome) and
 * dead letters.
 */
import { IN_FLIGHT_STATUSES, versionRef, type Fact } from '../facts/facts.js';
import type { DeadLetter, InboxOutcome, KnowledgeStore, LedgerEntry, WorkflowStatus } from './types.js';
import { canonicalTime } from './names.js';
import type { Prepare } from './statements.js';
import { storedKey } from './versions.js';

export type LedgerFunctions = Pick<
  KnowledgeStore,
  | 'findWorkflow'
  | 'findWorkflowByKey'
  | 'recordWorkflow'
  | 'setWorkflowStatus'
  | 'workflowsInFlight'
  | 'workflowsUnfinished'
  | 'inboxOutcome'
  | 'recordInbox'
  | 'recordDeadLetter'
> & {
  /** Keeps the dead letter unless the cache has one for its record (origin and position) already; true when kept. */
  keepDeadLetter(letter: DeadLetter): boolean;
  /** The inbox rows of topic[partition] from offset `from` up to `upTo` (not included), in offset order. */
  inboxRows(topic: string, partition: number, from: number, upTo: number): InboxRow[];
  /** Keeps the inbox rows the cache does not hold (a row it holds stays as it is); how many were new. */
  keepInboxRows(rows: readonly InboxRow[]): number;
};

/** One record's inbox row: where it was read and what became of it. */
export interface InboxRow {
  topic: string;
  partition: number;
  offset: number;
  outcome: InboxOutcome;
  processedAt: string;
}

const DEAD_LETTER_COLUMNS =
  'origin, topic, partition, "offset", error_class, reason, value, value_is_json, headers, created_at, record_key, key_known';

/** A dead letter's row, in the order of DEAD_LETTER_COLUMNS. */
function deadLetterRow(letter: DeadLetter): unknown[] {
  const raw = letter.value;
  // value_is_json 2: a value too large to keep, stored as {truncated, size_bytes, sha256, prefix}.
  const isJson = letter.truncated ? 2 : typeof raw !== 'string' && raw !== null && raw !== undefined ? 1 : 0;
  const value = letter.truncated
    ? JSON.stringify({
        truncated: true,
        size_bytes: letter.truncated.sizeBytes,
        sha256: letter.truncated.sha256,
        prefix: typeof raw === 'string' ? raw : JSON.stringify(raw),
      })
    : raw === null || raw === undefined
      ? null
      : typeof raw === 'string'
        ? raw
        : JSON.stringify(raw);
  return [
    letter.origin ?? '',
    letter.topic,
    letter.partition,
    letter.offset,
    letter.errorClass,
    letter.reason,
    value,
    isJson,
    JSON.stringify(letter.headers ?? {}),
    canonicalTime(letter.createdAt),
    letter.key ?? null,
    letter.key === undefined ? 0 : 1,
  ];
}

export interface WorkflowRow {
  name: string;
  kind: string;
  namespace: string;
  parameters: string;
  idempotency_key: string;
  status: string;
  source_topic: string | null;
  source_partition: number | null;
  source_offset: number | null;
  created_at: string;
  updated_at: string;
  package_name: string | null;
  package_version: string | null;
  index_url: string | null;
}

export function ledgerEntry(row: WorkflowRow): LedgerEntry {
  return {
    name: row.name,
    kind: row.kind,
    namespace: row.namespace,
    parameters: JSON.parse(row.parameters) as Record<string, string>,
    idempotencyKey: row.idempotency_key,
    status: row.status as WorkflowStatus,
    source:
      row.source_topic === null ? null : { topic: row.source_topic, partition: row.source_partition ?? 0, offset: row.source_offset ?? 0 },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    packageName: row.package_name,
    packageVersion: row.package_version,
    indexUrl: row.index_url,
  };
}

/** The statuses in flight as an SQL list: ('recorded', 'Pending', 'Running'). */
const IN_FLIGHT = `(${[...IN_FLIGHT_STATUSES].map((status) => `'${status}'`).join(', ')})`;

/**
 * The ledger entry as a fact: names normalised, times canonical. Recording a
 * name the ledger has (a redelivered message, a 409) keeps when and from
 * which message it was first recorded; state and update time are the new ones.
 */
export function workflowFact(entry: LedgerEntry, existing?: LedgerEntry): Extract<Fact, { kind: 'workflow' }> {
  // A workflow may name a package without a version or an index (revsolver, kebechet-administrator).
  const pkg = versionRef({
    packageName: entry.packageName ?? '',
    packageVersion: entry.packageVersion ?? '',
    indexUrl: entry.indexUrl ?? '',
  });
  return {
    kind: 'workflow',
    workflow: {
      ...entry,
      source: existing ? existing.source : entry.source,
      createdAt: canonicalTime(existing ? existing.createdAt : entry.createdAt),
      updatedAt: canonicalTime(entry.updatedAt),
      packageName: entry.packageName ? pkg.packageName : null,
      packageVersion: entry.packageVersion ? pkg.packageVersion : null,
      indexUrl: entry.indexUrl ? pkg.indexUrl : null,
    },
  };
}

/** The security-indicator state a finished SI workflow gives its version: analysed, or failed (never retried). */
export function securityIndicatorsOutcome(entry: LedgerEntry, status: WorkflowStatus, at: string): Fact | undefined {
  if (entry.kind !== 'security-indicators' || !entry.packageName || !entry.packageVersion || !entry.indexUrl) return undefined;
  const state = status === 'Succeeded' ? 'done' : status === 'Failed' || status === 'Error' ? 'failed' : undefined;
  if (!state) return undefined;
  const version = versionRef({ packageName: entry.packageName, packageVersion: entry.packageVersion, indexUrl: entry.indexUrl });
  return { kind: 'security-indicators', version, state, at: canonicalTime(at) };
}

export function ledgerFunctions(prepare: Prepare, write: (facts: Fact[]) => void): LedgerFunctions {
  const findWorkflow = (name: string) => {
    const row = prepare('SELECT * FROM workflows WHERE name = ?').get(name) as WorkflowRow | undefined;
    return row && ledgerEntry(row);
  };
  return {
    findWorkflow,
    findWorkflowByKey: (idempotencyKey) => {
      const row = prepare('SELECT * FROM workflows WHERE idempotency_key = ? ORDER BY created_at DESC, rowid DESC LIMIT 1').get(
        idempotencyKey,
      ) as WorkflowRow | undefined;
      return row && ledgerEntry(row);
    },
    recordWorkflow: (entry) => write([workflowFact(entry, findWorkflow(entry.name))]),
    setWorkflowStatus: (name, status, at) => {
      const entry = findWorkflow(name);
      if (!entry) return;
      const outcome = securityIndicatorsOutcome(entry, status, at);
      write([workflowFact({ ...entry, status, updatedAt: at }, entry), ...(outcome ? [outcome] : [])]);
    },
    workflowsInFlight: (kind, key) => {
      const [name, version, index] = storedKey(key);
      // A workflow recorded without an index (revsolver) is about the version on every index.
      const rows = prepare(
        `SELECT * FROM workflows WHERE package_name = ? AND package_version = ? AND kind = ? AND (index_url IS NULL OR index_url = ?)
         AND status IN ${IN_FLIGHT} ORDER BY created_at`,
      ).all(name, version, kind, index) as WorkflowRow[];
      return rows.map(ledgerEntry);
    },
    workflowsUnfinished: (namespace) =>
      (
        prepare(`SELECT * FROM workflows WHERE namespace = ? AND status IN ('Pending', 'Running') ORDER BY created_at, name`).all(
          namespace,
        ) as WorkflowRow[]
      ).map(ledgerEntry),
    inboxOutcome: (source) =>
      (
        prepare('SELECT outcome FROM inbox WHERE topic = ? AND partition = ? AND "offset" = ?').get(
          source.topic,
          source.partition,
          source.offset,
        ) as { outcome: InboxOutcome } | undefined
      )?.outcome,
    recordInbox: (source, outcome, at) => {
      prepare(
        `INSERT INTO inbox (topic, partition, "offset", outcome, processed_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (topic, partition, "offset") DO UPDATE SET outcome = excluded.outcome, processed_at = excluded.processed_at`,
      ).run(source.topic, source.partition, source.offset, outcome, canonicalTime(at));
    },
    inboxRows: (topic, partition, from, upTo) =>
      (
        prepare(
          `SELECT topic, partition, "offset", outcome, processed_at AS processedAt FROM inbox
           WHERE topic = ? AND partition = ? AND "offset" >= ? AND "offset" < ? ORDER BY "offset"`,
        ).all(topic, partition, from, upTo) as InboxRow[]
      ).map((row) => ({ ...row, offset: Number(row.offset) })),
    keepInboxRows: (rows) => {
      const keep = prepare(
        `INSERT INTO inbox (topic, partition, "offset", outcome, processed_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (topic, partition, "offset") DO NOTHING`,
      );
      let kept = 0;
      for (const row of rows) kept += keep.run(row.topic, row.partition, row.offset, row.outcome, row.processedAt).changes;
      return kept;
    },
    recordDeadLetter: (letter: DeadLetter) => {
      prepare(
        `INSERT INTO dead_letters (${DEAD_LETTER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (origin, topic, partition, "offset") DO UPDATE SET error_class = excluded.error_class, reason = excluded.reason,
           value = excluded.value, value_is_json = excluded.value_is_json, headers = excluded.headers, created_at = excluded.created_at,
           record_key = excluded.record_key, key_known = excluded.key_known`,
      ).run(...deadLetterRow(letter));
    },
    keepDeadLetter: (letter: DeadLetter): boolean =>
      prepare(
        `INSERT INTO dead_letters (${DEAD_LETTER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (origin, topic, partition, "offset") DO NOTHING`,
      ).run(...deadLetterRow(letter)).changes > 0,
  };
}

/**
 * The workflow ledger (what was scheduled, from which message, in what state),
 * the consumer inbox (which records were processed, with what outcome) and
 * dead letters.
 */
import type { DeadLetter, InboxOutcome, KnowledgeStore, LedgerEntry, WorkflowStatus } from './types.js';
import { canonicalTime, normalizeIndexUrl, normalizePackageName } from './names.js';
import type { Prepare } from './statements.js';
import { storedKey } from './versions.js';

export type LedgerFunctions = Pick<
  KnowledgeStore,
  | 'findWorkflow'
  | 'findWorkflowByKey'
  | 'recordWorkflow'
  | 'setWorkflowStatus'
  | 'workflowsInFlight'
  | 'inboxOutcome'
  | 'recordInbox'
  | 'recordDeadLetter'
>;

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

const IN_FLIGHT = "('recorded', 'Pending', 'Running')";

export function ledgerFunctions(prepare: Prepare): LedgerFunctions {
  return {
    findWorkflow: (name) => {
      const row = prepare('SELECT * FROM workflows WHERE name = ?').get(name) as WorkflowRow | undefined;
      return row && ledgerEntry(row);
    },
    findWorkflowByKey: (idempotencyKey) => {
      const row = prepare('SELECT * FROM workflows WHERE idempotency_key = ? ORDER BY created_at DESC, rowid DESC LIMIT 1').get(
        idempotencyKey,
      ) as WorkflowRow | undefined;
      return row && ledgerEntry(row);
    },
    recordWorkflow: (entry) => {
      // Recording a name again (a redelivered message, a 409) updates its state and keeps its history.
      prepare(
        `INSERT INTO workflows (name, kind, namespace, parameters, idempotency_key, status, source_topic, source_partition, source_offset,
           created_at, updated_at, package_name, package_version, index_url)
         VALUES (@name, @kind, @namespace, @parameters, @idempotencyKey, @status, @sourceTopic, @sourcePartition, @sourceOffset,
           @createdAt, @updatedAt, @packageName, @packageVersion, @indexUrl)
         ON CONFLICT (name) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at`,
      ).run({
        name: entry.name,
        kind: entry.kind,
        namespace: entry.namespace,
        parameters: JSON.stringify(entry.parameters),
        idempotencyKey: entry.idempotencyKey,
        status: entry.status,
        sourceTopic: entry.source?.topic ?? null,
        sourcePartition: entry.source?.partition ?? null,
        sourceOffset: entry.source?.offset ?? null,
        createdAt: canonicalTime(entry.createdAt),
        updatedAt: canonicalTime(entry.updatedAt),
        packageName: entry.packageName ? normalizePackageName(entry.packageName) : null,
        packageVersion: entry.packageVersion?.trim() || null,
        indexUrl: entry.indexUrl ? normalizeIndexUrl(entry.indexUrl) : null,
      });
    },
    setWorkflowStatus: (name, status, at) => {
      prepare('UPDATE workflows SET status = ?, updated_at = ? WHERE name = ?').run(status, canonicalTime(at), name);
      // The security-indicator state of a version follows its SI workflow to the end: analysed, or failed (never retried).
      const siState = status === 'Succeeded' ? 'done' : status === 'Failed' || status === 'Error' ? 'failed' : undefined;
      if (siState) {
        prepare(
          `UPDATE package_versions SET si_state = ?
           WHERE (package_name, package_version, index_url) = (SELECT package_name, package_version, index_url FROM workflows WHERE name = ? AND kind = 'security-indicators')`,
        ).run(siState, name);
      }
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
    recordDeadLetter: (letter: DeadLetter) => {
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
      prepare(
        `INSERT INTO dead_letters (origin, topic, partition, "offset", error_class, reason, value, value_is_json, headers, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (origin, topic, partition, "offset") DO UPDATE SET error_class = excluded.error_class, reason = excluded.reason,
           value = excluded.value, value_is_json = excluded.value_is_json, headers = excluded.headers, created_at = excluded.created_at`,
      ).run(
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
      );
    },
  };
}

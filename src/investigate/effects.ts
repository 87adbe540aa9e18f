/**
 * What a handler asks for, as plain data (STYLE §7): handlers decide, the
 * executor (executor.ts) does. Every effect is idempotent when applied:
 * knowledge changes become facts with set semantics (knowledge-facts.ts),
 * workflows have deterministic names, and follow-ups are written in the same
 * transaction as the message's offset.
 */
import type { PackageKey } from '../store/types.js';
import type { WorkflowRequest } from '../workflows/types.js';

/** A change to the knowledge cache. */
export type KnowledgeChange =
  /** The version exists on the index. */
  | { what: 'version'; key: PackageKey }
  /** A solver finished the version (error: it could not resolve it). */
  | { what: 'solved'; key: PackageKey; solver: string; error?: boolean }
  /** Someone asked for knowledge about the version (optionally from one solver). */
  | { what: 'unresolved'; key: PackageKey; solver: string | null }
  /** An advice run waits on the version (the thoth-adviser-id header). */
  | { what: 'advice-wait'; adviserId: string; recommendationType: string; key: PackageKey }
  | { what: 'missing'; key: PackageKey; missing: boolean }
  /** Every known version of the package on the index is gone. */
  | { what: 'package-missing'; packageName: string; indexUrl: string }
  | { what: 'provides-source-distro'; key: PackageKey; value: boolean }
  | { what: 'hash-present'; key: PackageKey; hashes: string[]; present: boolean }
  | { what: 'cve'; key: PackageKey }
  | { what: 'security-indicators'; key: PackageKey; state: 'scheduled' | 'done' | 'failed' }
  /** Someone asked for the version's security indicators (si-unanalyzed-package); the SI decision acts on it. */
  | { what: 'security-indicators-requested'; key: PackageKey }
  /** The advice run's adviser-re-run is published (with it, in one transaction): the decision taken. */
  | { what: 'advice-re-run'; adviserId: string; recommendationType: string };

export type Effect =
  | {
      type: 'schedule';
      request: WorkflowRequest;
      reason: string;
      /** CLI name of the message that asked, for `_scheduled_workflows_total{message_type}`. */
      messageType?: string;
    }
  | { type: 'record'; change: KnowledgeChange }
  | {
      type: 'publish';
      messageType: string;
      message: Record<string, unknown>;
      key: string | null;
      headers: Record<string, string>;
    }
  /** For gauges the value is added, like upstream's `gauge.inc(count)`. */
  | { type: 'metric'; name: string; labels: Record<string, string>; value: number; kind: 'counter' | 'gauge' };

export const schedule = (request: WorkflowRequest, reason: string, messageType?: string): Extract<Effect, { type: 'schedule' }> => ({
  type: 'schedule',
  request,
  reason,
  ...(messageType ? { messageType } : {}),
});

export const record = (change: KnowledgeChange): Effect => ({ type: 'record', change });

export const metric = (name: string, labels: Record<string, string>, value: number, kind: 'counter' | 'gauge'): Effect => ({
  type: 'metric',
  name,
  labels,
  value,
  kind,
});

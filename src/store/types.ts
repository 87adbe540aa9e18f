import type { WorkflowEntry, WorkflowStatus } from '../facts/facts.js';

/**
 * What the rest of thoth may ask of the knowledge cache (SPEC §5). The store
 * (src/store/) implements it and is the only module that writes SQL; the
 * investigator, the effect executor and `thoth query` see only these types.
 *
 * Package names are stored normalised per PEP 503 (lower case, runs of
 * `-_.` as one `-`), versions in PEP 440's canonical form (`2.0` and
 * `v2.0.0` are `2.0.0`); index URLs without a trailing slash. Every write is a
 * fact (src/facts/), so the cache is the projection of the facts it holds.
 */

export interface PackageKey {
  packageName: string;
  packageVersion: string;
  indexUrl: string;
}

export interface SourceRef {
  topic: string;
  partition: number;
  offset: number;
}

export type { WorkflowStatus } from '../facts/facts.js';

/** One workflow of the ledger; its fact on the knowledge topic has the same fields (src/facts/facts.ts). */
export type LedgerEntry = WorkflowEntry;

export interface DeadLetter {
  /** Where the record came from (the broker's address, file:PATH): the same position in another source is another record. */
  origin?: string;
  topic: string;
  partition: number;
  offset: number;
  errorClass: string;
  reason: string;
  /** The value as received: the parsed object, or the raw string when it was not JSON. */
  value: unknown;
  /**
   * Set when the value was too large to keep whole: `value` then holds only its first
   * characters, and these say what the whole was (its size in bytes and SHA-256).
   */
  truncated?: { sizeBytes: number; sha256: string };
  headers: Record<string, string>;
  /** The record's key; undefined when it is not known (a dead letter kept by an older thoth). */
  key?: string | null;
  createdAt: string;
}

export type InboxOutcome = 'done' | 'dead-letter' | 'skipped';

export interface AdviceRun {
  adviserId: string;
  recommendationType: string;
  /** Every package version the run waits on, and whether each is solved by at least the solvers asked. */
  waitingOn: Array<PackageKey & { solved: boolean }>;
  reRunPublishedAt: string | null;
}

export interface SecurityIndicatorState {
  /** 'none' when never scheduled. */
  state: 'none' | 'scheduled' | 'done' | 'failed';
}

/** The part of the store the investigator reads and writes. */
export interface KnowledgeStore {
  /** Runs fn in one IMMEDIATE transaction (synchronous=FULL), so its writes are durable together. */
  transaction<T>(fn: () => T): T;

  // indexes
  registeredIndexes(): string[];
  isIndexRegistered(indexUrl: string): boolean;
  registerIndex(indexUrl: string): void;

  // versions and flags
  /** Records that the version exists on the index (no-op when known). */
  recordVersion(key: PackageKey): void;
  knownVersions(packageName: string, indexUrl?: string): PackageKey[];
  /** Whether the cache knows the version at all (any fact about it). */
  isVersionKnown(key: PackageKey): boolean;
  setMissing(key: PackageKey, missing: boolean): void;
  /** Sets is_missing on every known version of the package on that index; returns how many. */
  setPackageMissing(packageName: string, indexUrl: string): number;
  isMissing(key: PackageKey): boolean;
  setProvidesSourceDistro(key: PackageKey, value: boolean): void;
  /** null when unknown. */
  providesSourceDistro(key: PackageKey): boolean | null;
  /** Records artifact hashes and whether each is present on the index. */
  setHashPresent(key: PackageKey, hashes: string[], present: boolean): void;

  // solver results
  recordSolved(key: PackageKey, solver: string, options?: { error?: boolean }): void;
  isSolved(key: PackageKey, solver: string): boolean;
  /** The solvers in `solvers` that have no result for the version yet. */
  solversLacking(key: PackageKey, solvers: string[]): string[];

  // security indicators
  securityIndicatorState(key: PackageKey): SecurityIndicatorState['state'];
  setSecurityIndicatorState(key: PackageKey, state: SecurityIndicatorState['state']): void;

  // CVE notices
  /** `notice` names the message that brought it (default: the time), so the same notice twice is one. */
  recordCve(key: PackageKey, receivedAt: string, notice?: string): void;

  // unresolved requests and advice waiting on them
  /** `request` names the request (the message that asked; default: the time): the same request twice counts once. */
  recordUnresolved(key: PackageKey, seenAt: string, solver?: string | null, request?: string): void;
  /** Records that an advice run waits on the version. */
  addAdviceWait(adviserId: string, recommendationType: string, key: PackageKey): void;
  /** The advice run with every version it waits on (solved: by each of `solvers`, or by any with none given). */
  adviceRun(adviserId: string, solvers: string[]): AdviceRun | undefined;
  /** Marks the re-run as published; false when it already was (so it is published once). */
  markReRunPublished(adviserId: string, at: string): boolean;

  // workflow ledger
  findWorkflow(name: string): LedgerEntry | undefined;
  /** The newest entry with this idempotency key, if any. */
  findWorkflowByKey(idempotencyKey: string): LedgerEntry | undefined;
  recordWorkflow(entry: LedgerEntry): void;
  setWorkflowStatus(name: string, status: WorkflowStatus, at: string): void;
  /** In-flight (recorded/Pending/Running) entries of a kind for a package version. */
  workflowsInFlight(kind: string, key: PackageKey): LedgerEntry[];
  /** The entries of a namespace the cluster has not finished yet, as far as the ledger knows (Pending, Running). */
  workflowsUnfinished(namespace: string): LedgerEntry[];

  // inbox and dead letters
  /** The outcome recorded for a consumed record, if it was processed before. */
  inboxOutcome(source: SourceRef): InboxOutcome | undefined;
  recordInbox(source: SourceRef, outcome: InboxOutcome, at: string): void;
  recordDeadLetter(letter: DeadLetter): void;
}

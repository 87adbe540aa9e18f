/**
 * The investigator's knowledge as facts (SPEC §5.1): each fact states one
 * attribute of one thing, with set semantics. Applying a fact again changes
 * nothing; two writers of different attributes never overwrite each other;
 * removing a fact is a tombstone. The knowledge topic holds them (key = the
 * fact's identity, value = its versioned JSON, codec.ts) and every cache is
 * a projection of the facts it has read (src/store/projection.ts), so two
 * caches that read the same facts, in any order across keys, agree.
 *
 * Package keys are normalised before they become facts: PEP 503 names,
 * PEP 440 canonical versions, index URLs without a trailing slash.
 */
import { canonicalVersion, normalizePackageName } from '../messages/package-spec.js';

/** A package version on an index: the subject of most facts. */
export interface VersionRef {
  indexUrl: string;
  packageName: string;
  packageVersion: string;
}

export type SecurityIndicatorsState = 'scheduled' | 'done' | 'failed';

export type WorkflowStatus = 'recorded' | 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error';

/** One entry of the workflow ledger (what was scheduled, from which message, in what state). */
export interface WorkflowEntry {
  name: string;
  kind: string;
  namespace: string;
  parameters: Record<string, string>;
  /** The same request always gives the same key (and name, unless forced). */
  idempotencyKey: string;
  status: WorkflowStatus;
  source: { topic: string; partition: number; offset: number } | null;
  /** ISO-8601. */
  createdAt: string;
  updatedAt: string;
  /** The package the workflow is about, when it is about one. */
  packageName?: string | null;
  packageVersion?: string | null;
  indexUrl?: string | null;
}

/**
 * Every fact, by kind. `at` is when the writer learnt it (ISO-8601): the
 * cache's times (first seen, solved at, ...) come from facts, never from the
 * clock of the replica that reads them, so every replica shows the same.
 */
export type Fact =
  /** The version exists on its index. */
  | { kind: 'version'; version: VersionRef; at: string }
  /** The version is gone from its index (or back: missing false). */
  | { kind: 'missing'; version: VersionRef; missing: boolean; at: string }
  /** A missing-package notice: every version of the package known to the writer then is gone. */
  | { kind: 'package-missing'; indexUrl: string; packageName: string; versions: string[]; at: string }
  | { kind: 'provides-source-distro'; version: VersionRef; value: boolean; at: string }
  /** Security indicators scheduled (the decision taken), analysed, or failed (never tried again). */
  | { kind: 'security-indicators'; version: VersionRef; state: SecurityIndicatorsState; at: string }
  /** Someone asked for security indicators of the version (si-unanalyzed-package); a solved version wants them too. */
  | { kind: 'security-indicators-requested'; version: VersionRef; at: string }
  /** A solver environment's result for the version (error: it could not resolve it). */
  | { kind: 'solved'; version: VersionRef; solver: string; error: boolean; at: string }
  /** An artifact hash and whether the index still has it. */
  | { kind: 'hash'; version: VersionRef; hash: string; present: boolean; at: string }
  /** A CVE notice, one per message that brought it (`notice` names the message). */
  | { kind: 'cve'; version: VersionRef; notice: string; at: string }
  /**
   * An unresolved-package request, one per message (`request` names it) and
   * version, so that a message handled twice is one request, never two.
   * `count`/`lastAt` only on requests carried over from a cache older than
   * facts, which kept a count instead.
   */
  | { kind: 'request'; version: VersionRef; solver: string | null; request: string; at: string; count?: number; lastAt?: string }
  /** An advice run that waits on knowledge, and how to re-run it. */
  | { kind: 'advice'; adviserId: string; recommendationType: string; at: string }
  /** The advice run waits on this version. */
  | { kind: 'advice-wait'; adviserId: string; recommendationType: string; version: VersionRef; at: string }
  /** The advice run's adviser-re-run was published (the decision taken). */
  | { kind: 'advice-re-run'; adviserId: string; recommendationType: string; at: string }
  /** A workflow ledger entry. */
  | { kind: 'workflow'; workflow: WorkflowEntry };

export type FactKind = Fact['kind'];

export const FACT_KINDS: readonly FactKind[] = [
  'version',
  'missing',
  'package-missing',
  'provides-source-distro',
  'security-indicators',
  'security-indicators-requested',
  'solved',
  'hash',
  'cve',
  'request',
  'advice',
  'advice-wait',
  'advice-re-run',
  'workflow',
];

/** The version as facts name it: PEP 503 name, PEP 440 canonical version, index without trailing slash. */
export function versionRef(key: VersionRef): VersionRef {
  return {
    indexUrl: normalizeIndex(key.indexUrl),
    packageName: normalizePackageName(key.packageName.trim()),
    packageVersion: canonicalVersion(key.packageVersion),
  };
}

export function normalizeIndex(url: string): string {
  return url.trim().replace(/\/+$/, '');
}

/** The version the fact is about, if it is about one. */
export function versionOf(fact: Fact): VersionRef | undefined {
  switch (fact.kind) {
    case 'package-missing':
    case 'advice':
    case 'advice-re-run':
      return undefined;
    case 'workflow': {
      const w = fact.workflow;
      return w.packageName && w.packageVersion && w.indexUrl
        ? { packageName: w.packageName, packageVersion: w.packageVersion, indexUrl: w.indexUrl }
        : undefined;
    }
    default:
      return fact.version;
  }
}

/** The advice run the fact is about, if it is about one. */
export function adviserOf(fact: Fact): string | undefined {
  return fact.kind === 'advice' || fact.kind === 'advice-wait' || fact.kind === 'advice-re-run' ? fact.adviserId : undefined;
}

/** The statuses of a workflow scheduled and not finished: in flight, as the ledger counts them. */
export const IN_FLIGHT_STATUSES: ReadonlySet<WorkflowStatus> = new Set<WorkflowStatus>(['recorded', 'Pending', 'Running']);

/**
 * Whether a fact new to a cache can make a decision due (SPEC §5.1). Security indicators wait for a solver result or
 * a request, on a version neither missing nor without a source distribution, with none in flight; an adviser re-run
 * waits for each of its versions to be solved with no solver workflow still in flight. A fact that records a version,
 * a request, a hash or a CVE notice, a decision taken (security indicators scheduled, done, failed) or a workflow in
 * flight can only keep a decision waiting. (A fact that replaces another value, and a tombstone, can undo anything:
 * the projection counts those as touching their version whatever their kind.)
 */
export function mayCompleteDecision(fact: Fact): boolean {
  switch (fact.kind) {
    case 'version':
    case 'request':
    case 'hash':
    case 'cve':
    case 'security-indicators':
      return false;
    case 'workflow':
      return !IN_FLIGHT_STATUSES.has(fact.workflow.status);
    default:
      return true;
  }
}

/** Where a message came from, as facts name it (a CVE notice, a request): `topic[partition]@offset`. */
export function messageId(source: { topic: string; partition: number; offset: number }): string {
  return `${source.topic}[${source.partition}]@${source.offset}`;
}

/**
 * Facts on the wire (SPEC §5.1): the record key is the fact's identity as a
 * JSON array of strings (`["solved","<index>","<name>","<version>","<solver>"]`,
 * unambiguous although index URLs hold '/'), the value a JSON object with
 * the format version `v` first, and a tombstone (no value) removes the fact.
 *
 * A record this thoth cannot read (a newer `v`, broken JSON, a kind it does
 * not know) decodes to `unreadable` with the reason: the reader reports it
 * and goes on, it never stops on one.
 */
import { FACT_KINDS, type Fact, type FactKind, type VersionRef, type WorkflowEntry, type WorkflowStatus } from './facts.js';

/** The format this thoth writes and the newest it reads. */
export const FACT_FORMAT = 1;

export interface FactRecord {
  key: string;
  /** null: a tombstone. */
  value: string | null;
}

/** What a key names, without the value: enough to remove a fact. */
export interface FactIdentity {
  kind: FactKind;
  version?: VersionRef;
  indexUrl?: string;
  packageName?: string;
  adviserId?: string;
  workflowName?: string;
}

export type DecodedFact =
  | { type: 'fact'; key: string; value: string; fact: Fact }
  | { type: 'tombstone'; key: string; identity: FactIdentity }
  | { type: 'unreadable'; key: string | null; reason: string };

const version = (v: VersionRef) => [v.indexUrl, v.packageName, v.packageVersion];

/** The fact's identity, the record key. */
export function factKey(fact: Fact): string {
  const parts: string[] = (() => {
    switch (fact.kind) {
      case 'version':
      case 'missing':
      case 'provides-source-distro':
      case 'security-indicators':
      case 'security-indicators-requested':
        return version(fact.version);
      case 'package-missing':
        return [fact.indexUrl, fact.packageName];
      case 'solved':
        return [...version(fact.version), fact.solver];
      case 'hash':
        return [...version(fact.version), fact.hash];
      case 'cve':
        return [...version(fact.version), fact.notice];
      case 'request':
        return [...version(fact.version), fact.solver ?? '', fact.request];
      case 'advice':
      case 'advice-re-run':
        return [fact.adviserId];
      case 'advice-wait':
        return [fact.adviserId, ...version(fact.version)];
      case 'workflow':
        return [fact.workflow.name];
    }
  })();
  return JSON.stringify([fact.kind, ...parts]);
}

/** The fact's value: `{"v":1, ...}`, snake_case like the rest of thoth's JSON. */
export function factValue(fact: Fact): string {
  const body: Record<string, unknown> = (() => {
    switch (fact.kind) {
      case 'version':
      case 'security-indicators-requested':
      case 'cve':
        return { at: fact.at };
      case 'missing':
        return { missing: fact.missing, at: fact.at };
      case 'package-missing':
        return { versions: fact.versions, at: fact.at };
      case 'provides-source-distro':
        return { value: fact.value, at: fact.at };
      case 'security-indicators':
        return { state: fact.state, at: fact.at };
      case 'solved':
        return { error: fact.error, at: fact.at };
      case 'hash':
        return { present: fact.present, at: fact.at };
      case 'request':
        return {
          at: fact.at,
          ...(fact.count !== undefined ? { count: fact.count } : {}),
          ...(fact.lastAt ? { last_at: fact.lastAt } : {}),
        };
      case 'advice':
      case 'advice-wait':
      case 'advice-re-run':
        return { recommendation_type: fact.recommendationType, at: fact.at };
      case 'workflow': {
        const w = fact.workflow;
        return {
          kind: w.kind,
          namespace: w.namespace,
          parameters: w.parameters,
          idempotency_key: w.idempotencyKey,
          status: w.status,
          source: w.source,
          created_at: w.createdAt,
          updated_at: w.updatedAt,
          package_name: w.packageName ?? null,
          package_version: w.packageVersion ?? null,
          index_url: w.indexUrl ?? null,
        };
      }
    }
  })();
  return JSON.stringify({ v: FACT_FORMAT, ...body });
}

export function encodeFact(fact: Fact): FactRecord {
  return { key: factKey(fact), value: factValue(fact) };
}

class Unreadable extends Error {}

const ARITY: Record<FactKind, number> = {
  version: 3,
  missing: 3,
  'package-missing': 2,
  'provides-source-distro': 3,
  'security-indicators': 3,
  'security-indicators-requested': 3,
  solved: 4,
  hash: 4,
  cve: 4,
  request: 5,
  advice: 1,
  'advice-wait': 4,
  'advice-re-run': 1,
  workflow: 1,
};

/** What the key names; throws Unreadable. */
export function decodeFactKey(key: string): FactIdentity & { parts: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(key);
  } catch {
    throw new Unreadable('the key is not JSON');
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((p) => typeof p === 'string'))
    throw new Unreadable('the key is not a JSON array of strings');
  const [kind, ...parts] = parsed;
  if (!(FACT_KINDS as readonly string[]).includes(kind)) throw new Unreadable(`unknown kind of fact ${JSON.stringify(kind.slice(0, 60))}`);
  const k = kind as FactKind;
  if (parts.length !== ARITY[k]) throw new Unreadable(`a ${k} key has ${ARITY[k] + 1} elements, this one ${parts.length + 1}`);
  const ref = (i: number): VersionRef => ({ indexUrl: parts[i], packageName: parts[i + 1], packageVersion: parts[i + 2] });
  switch (k) {
    case 'package-missing':
      return { kind: k, parts, indexUrl: parts[0], packageName: parts[1] };
    case 'advice':
    case 'advice-re-run':
      return { kind: k, parts, adviserId: parts[0] };
    case 'advice-wait':
      return { kind: k, parts, adviserId: parts[0], version: ref(1) };
    case 'workflow':
      return { kind: k, parts, workflowName: parts[0] };
    default:
      return { kind: k, parts, version: ref(0) };
  }
}

function field<T>(body: Record<string, unknown>, name: string, check: (value: unknown) => value is T, what: string): T {
  const value = body[name];
  if (!check(value)) throw new Unreadable(`field ${name} is not ${what}`);
  return value;
}
const isString = (v: unknown): v is string => typeof v === 'string';
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1;
const isStringOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';
const isParameters = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(isString);
const isSource = (v: unknown): v is WorkflowEntry['source'] =>
  v === null ||
  (typeof v === 'object' &&
    v !== null &&
    isString((v as Record<string, unknown>).topic) &&
    Number.isInteger((v as Record<string, unknown>).partition) &&
    Number.isInteger((v as Record<string, unknown>).offset));
const SI_STATES = ['scheduled', 'done', 'failed'];
const STATUSES: WorkflowStatus[] = ['recorded', 'Pending', 'Running', 'Succeeded', 'Failed', 'Error'];

function factOf(identity: FactIdentity & { parts: string[] }, body: Record<string, unknown>): Fact {
  const at = field(body, 'at', isString, 'a time');
  const parts = identity.parts;
  const v = identity.version!;
  switch (identity.kind) {
    case 'version':
      return { kind: 'version', version: v, at };
    case 'missing':
      return { kind: 'missing', version: v, missing: field(body, 'missing', isBool, 'true or false'), at };
    case 'package-missing':
      return {
        kind: 'package-missing',
        indexUrl: identity.indexUrl!,
        packageName: identity.packageName!,
        versions: field(body, 'versions', isStringList, 'a list of versions'),
        at,
      };
    case 'provides-source-distro':
      return { kind: 'provides-source-distro', version: v, value: field(body, 'value', isBool, 'true or false'), at };
    case 'security-indicators': {
      const state = field(body, 'state', (s): s is SecurityState => isString(s) && SI_STATES.includes(s), 'scheduled, done or failed');
      return { kind: 'security-indicators', version: v, state, at };
    }
    case 'security-indicators-requested':
      return { kind: 'security-indicators-requested', version: v, at };
    case 'solved':
      return { kind: 'solved', version: v, solver: parts[3], error: field(body, 'error', isBool, 'true or false'), at };
    case 'hash':
      return { kind: 'hash', version: v, hash: parts[3], present: field(body, 'present', isBool, 'true or false'), at };
    case 'cve':
      return { kind: 'cve', version: v, notice: parts[3], at };
    case 'request': {
      const count = body.count === undefined ? undefined : field(body, 'count', isCount, 'a count');
      const lastAt = body.last_at === undefined ? undefined : field(body, 'last_at', isString, 'a time');
      return {
        kind: 'request',
        version: v,
        solver: parts[3] === '' ? null : parts[3],
        request: parts[4],
        at,
        ...(count !== undefined ? { count } : {}),
        ...(lastAt !== undefined ? { lastAt } : {}),
      };
    }
    case 'advice':
    case 'advice-re-run':
      return {
        kind: identity.kind,
        adviserId: identity.adviserId!,
        recommendationType: field(body, 'recommendation_type', isString, 'a recommendation type'),
        at,
      };
    case 'advice-wait':
      return {
        kind: 'advice-wait',
        adviserId: identity.adviserId!,
        version: v,
        recommendationType: field(body, 'recommendation_type', isString, 'a recommendation type'),
        at,
      };
    case 'workflow':
      throw new Error('workflow facts have no `at`');
  }
}
type SecurityState = 'scheduled' | 'done' | 'failed';

function workflowOf(name: string, body: Record<string, unknown>): Fact {
  return {
    kind: 'workflow',
    workflow: {
      name,
      kind: field(body, 'kind', isString, 'a workflow kind'),
      namespace: field(body, 'namespace', isString, 'a namespace'),
      parameters: field(body, 'parameters', isParameters, 'an object of parameters'),
      idempotencyKey: field(body, 'idempotency_key', isString, 'a key'),
      status: field(body, 'status', (s): s is WorkflowStatus => isString(s) && (STATUSES as string[]).includes(s), 'a workflow status'),
      source: field(body, 'source', isSource, 'a source or null'),
      createdAt: field(body, 'created_at', isString, 'a time'),
      updatedAt: field(body, 'updated_at', isString, 'a time'),
      packageName: field(body, 'package_name', isStringOrNull, 'a name or null'),
      packageVersion: field(body, 'package_version', isStringOrNull, 'a version or null'),
      indexUrl: field(body, 'index_url', isStringOrNull, 'an index URL or null'),
    },
  };
}

/** Reads one record of the knowledge topic. */
export function decodeFact(record: { key: string | null; value: string | null }): DecodedFact {
  if (record.key === null) return { type: 'unreadable', key: null, reason: 'the record has no key' };
  try {
    const identity = decodeFactKey(record.key);
    if (record.value === null) {
      const { parts: _parts, ...rest } = identity;
      return { type: 'tombstone', key: record.key, identity: rest };
    }
    let body: unknown;
    try {
      body = JSON.parse(record.value);
    } catch {
      throw new Unreadable('the value is not JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Unreadable('the value is not a JSON object');
    const v = (body as Record<string, unknown>).v;
    if (!Number.isInteger(v) || (v as number) < 1) throw new Unreadable('the value has no format version `v`');
    if ((v as number) > FACT_FORMAT)
      throw new Unreadable(`it was written by a newer thoth (fact format v${String(v)}; this thoth reads up to v${FACT_FORMAT})`);
    const fields = body as Record<string, unknown>;
    const fact = identity.kind === 'workflow' ? workflowOf(identity.workflowName!, fields) : factOf(identity, fields);
    return { type: 'fact', key: record.key, value: record.value, fact };
  } catch (error) {
    if (error instanceof Unreadable) return { type: 'unreadable', key: record.key, reason: error.message };
    throw error;
  }
}

/** The compacted topic that holds the facts (prefixed like every topic, SPEC §5.1). */
export const KNOWLEDGE_BASE_TOPIC = 'thoth.investigator.knowledge';

/**
 * What every handler receives and the checks they share. A handler is a
 * pure function of (message, what the cache knows, configuration) to a list
 * of effects; it reads the cache through KnowledgeView and never writes.
 */
import { PermanentError } from '../../core/errors.js';
import {
  canonicalVersion,
  indexUrlProblem,
  normalizePackageName,
  packageNameProblem,
  versionProblem,
} from '../../messages/package-spec.js';
import type { Message } from '../../messages/validate.js';
import type { KnowledgeStore, PackageKey, SourceRef } from '../../store/types.js';
import { stripTrailingSlash } from '../../config/index-url.js';
import type { InvestigatorConfig } from '../../config/investigator.js';
import { solverEnvironment } from '../../config/solvers.js';
import type { Effect } from '../effects.js';

/** The read-only part of the store a handler may consult. */
export type KnowledgeView = Pick<
  KnowledgeStore,
  | 'registeredIndexes'
  | 'isIndexRegistered'
  | 'knownVersions'
  | 'isMissing'
  | 'providesSourceDistro'
  | 'isSolved'
  | 'solversLacking'
  | 'securityIndicatorState'
  | 'findWorkflowByKey'
  | 'workflowsInFlight'
>;

export interface HandlerInput {
  /** CLI name of the type (`solved-package`). */
  typeName: string;
  baseTopic: string;
  message: Message;
  headers: Record<string, string>;
  source: SourceRef | null;
  view: KnowledgeView;
  config: InvestigatorConfig;
  /** Versions the index lists, fetched by dispatch before the handler runs (unresolved-package without a version). */
  indexVersions?: string[];
}

export type Handler = (input: HandlerInput) => Effect[];

/** Error classes of the permanent failures the handlers raise (dead-letter header `error_class`). */
export const ERROR_CLASS = {
  invalidPackageName: 'InvalidPackageName',
  invalidVersion: 'InvalidVersion',
  unregisteredIndex: 'UnregisteredIndex',
  invalidIndexUrl: 'InvalidIndexUrl',
  unknownSolver: 'UnknownSolver',
  invalidField: 'InvalidField',
  invalidHeader: 'InvalidHeader',
} as const;

export function str(message: Message, field: string): string | null {
  const value = message[field];
  return typeof value === 'string' ? value : null;
}

export function bool(message: Message, field: string, fallback: boolean): boolean {
  const value = message[field];
  return typeof value === 'boolean' ? value : fallback;
}

export function requireField(message: Message, field: string, typeName: string): string {
  const value = str(message, field);
  if (value === null || value === '')
    throw new PermanentError(ERROR_CLASS.invalidField, `${typeName}: field ${field} is required for scheduling`);
  return value;
}

/** A field the catalogue requires, as text: an absent field is "required"; an empty string goes on to the field's own rule, which says what is wrong with it. */
function presentField(message: Message, field: string, typeName: string): string {
  const value = str(message, field);
  if (value === null) throw new PermanentError(ERROR_CLASS.invalidField, `${typeName}: field ${field} is required for scheduling`);
  return value;
}

/** The package name as stored (PEP 503 normalised), or a permanent error naming the PEP 508 rule it breaks. */
export function checkedName(raw: string, field = 'package_name'): string {
  const problem =
    raw === '' ? 'PEP 508: a package name starts and ends with a letter or digit (the name is empty)' : packageNameProblem(raw);
  if (problem) throw new PermanentError(ERROR_CLASS.invalidPackageName, `${field}: ${problem}`);
  return normalizePackageName(raw);
}

/** The version as it is keyed and named (PEP 440 canonical: `2.0` and `v2.0.0` are one version), or a permanent error naming the rule. */
export function checkedVersion(raw: string, field = 'package_version'): string {
  const problem = raw === '' ? 'PEP 440: a version has at least a release number, e.g. 2.25.1 (the version is empty)' : versionProblem(raw);
  if (problem) throw new PermanentError(ERROR_CLASS.invalidVersion, `${field}: ${problem}`);
  return canonicalVersion(raw);
}

/** The message's package_name, checked by PEP 508 (an empty name included) and normalised. */
export function nameField(input: Pick<HandlerInput, 'message' | 'typeName'>, field = 'package_name'): string {
  return checkedName(presentField(input.message, field, input.typeName), field);
}

/** The message's package_version, checked by PEP 440 (an empty version included). */
export function versionField(input: Pick<HandlerInput, 'message' | 'typeName'>, field = 'package_version'): string {
  return checkedVersion(presentField(input.message, field, input.typeName), field);
}

/** The index must be one thoth trusts: listed in THOTH_INDEX_URLS or registered in the cache. */
export function checkedIndex(raw: string, view: KnowledgeView, config: InvestigatorConfig): string {
  const url = stripTrailingSlash(raw);
  if (config.indexUrls.includes(url) || view.isIndexRegistered(url)) return url;
  const known = [...new Set([...config.indexUrls, ...view.registeredIndexes()])];
  throw new PermanentError(
    ERROR_CLASS.unregisteredIndex,
    `index_url ${JSON.stringify(raw)} is not a registered index (registered: ${known.length ? known.join(', ') : 'none'}); add it to THOTH_INDEX_URLS`,
  );
}

/** Name, version and index of a message that names all three, checked. */
export function packageKeyOf(input: HandlerInput): PackageKey {
  const { message, view, config } = input;
  return {
    packageName: nameField(input),
    packageVersion: versionField(input),
    indexUrl: checkedIndex(requireField(message, 'index_url', input.typeName), view, config),
  };
}

/** The solvers of `wanted` that have no result for the version and no solver workflow in flight. */
export function solversToSchedule(view: KnowledgeView, key: PackageKey, wanted: string[]): string[] {
  const inFlight = new Set(view.workflowsInFlight('solver', key).map((entry) => entry.parameters.THOTH_SOLVER_NAME));
  return view.solversLacking(key, wanted).filter((solver) => !inFlight.has(solver));
}

/** A solver name as SPEC §3 defines it: solver-<os>-<os_version>-py<XY>. */
export function checkedSolver(raw: string, field = 'solver'): string {
  if (!solverEnvironment(raw))
    throw new PermanentError(
      ERROR_CLASS.invalidField,
      `${field}: ${JSON.stringify(raw.slice(0, 80))} is not a solver name (solver-<os>-<os_version>-py<XY>)`,
    );
  return raw;
}

/**
 * A solver the message asks for by name must be one this deployment runs
 * (THOTH_SOLVERS): a workflow for any other would wait for ever on a solver
 * image nobody deployed, so the message is a dead letter, not a retry.
 */
export function configuredSolver(raw: string, config: InvestigatorConfig, field = 'solver'): string {
  checkedSolver(raw, field);
  if (!config.solvers.includes(raw)) {
    throw new PermanentError(
      ERROR_CLASS.unknownSolver,
      `${field}: ${JSON.stringify(raw)} is not a configured solver; THOTH_SOLVERS (or --solvers) lists ${config.solvers.join(', ')}`,
    );
  }
  return raw;
}

/** Package fields a metadata object may carry (Kebechet's MetadataContents) and the rule each follows. */
const METADATA_PACKAGE_FIELDS: ReadonlyArray<[string, (raw: string, field: string) => unknown]> = [
  ['package_name', checkedName],
  ['package_version', checkedVersion],
  ['package_index', checkedIndexUrl],
];

/**
 * A metadata object goes into a JSON workflow parameter as it came, so its
 * package fields are checked like top-level ones (SPEC §4): PEP 508 names,
 * PEP 440 versions, index URLs without credentials. Other keys pass as they are.
 */
export function checkMetadataPackageFields(metadata: unknown, field: string): void {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return;
  for (const [key, check] of METADATA_PACKAGE_FIELDS) {
    const value = (metadata as Record<string, unknown>)[key];
    if (value === null || value === undefined) continue;
    const path = `${field}.${key}`;
    if (typeof value !== 'string') throw new PermanentError(ERROR_CLASS.invalidField, `${path} must be a string or null`);
    check(value, path);
  }
}

/** An http(s) index URL without credentials, query or fragment; the problem names the rule, never the credentials. */
export function checkedIndexUrl(raw: string, field = 'index_url'): string {
  const problem = indexUrlProblem(raw);
  if (problem) throw new PermanentError(ERROR_CLASS.invalidIndexUrl, `${field}: ${problem}`);
  return raw;
}

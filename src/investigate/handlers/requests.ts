/**
 * WorkflowRequests for the kinds the investigator schedules, with
 * thoth-common's parameter names and value conventions (flags "0"/"1",
 * lists joined with ","; metadata as JSON). Values are checked again by the
 * workflow builder; nothing here ever lands in a script body.
 */
import type { PackageKey, SourceRef } from '../../store/types.js';
import type { WorkflowRequest } from '../../workflows/types.js';

const flag = (value: boolean) => (value ? '1' : '0');

function request(kind: WorkflowRequest['kind'], parameters: Record<string, string>, source: SourceRef | null): WorkflowRequest {
  return { kind, parameters, source };
}

export function solverRequest(key: PackageKey, solver: string, source: SourceRef | null): WorkflowRequest {
  return request(
    'solver',
    {
      THOTH_SOLVER_NAME: solver,
      THOTH_SOLVER_PACKAGES: `${key.packageName}===${key.packageVersion}`,
      THOTH_SOLVER_INDEXES: key.indexUrl,
      THOTH_SOLVER_DEPENDENCY_INDEXES: '',
      // The investigator asks about the package alone, as upstream (transitive=False).
      THOTH_SOLVER_NO_TRANSITIVE: '1',
      THOTH_FORCE_SYNC: '0',
    },
    source,
  );
}

export function revsolverRequest(packageName: string, packageVersion: string, source: SourceRef | null): WorkflowRequest {
  return request('revsolver', { THOTH_REVSOLVER_PACKAGE_NAME: packageName, THOTH_REVSOLVER_PACKAGE_VERSION: packageVersion }, source);
}

export function securityIndicatorsRequest(key: PackageKey, source: SourceRef | null): WorkflowRequest {
  return request(
    'security-indicators',
    {
      THOTH_SECURITY_INDICATORS_PACKAGE_NAME: key.packageName,
      THOTH_SECURITY_INDICATORS_PACKAGE_VERSION: key.packageVersion,
      THOTH_SECURITY_INDICATORS_PACKAGE_INDEX: key.indexUrl,
      THOTH_SECURITY_INDICATORS_AGGREGATION_FUNCTION: 'process_data',
    },
    source,
  );
}

export interface AdministratorSubject {
  packageName: string;
  packageVersion?: string | null;
  indexUrl?: string | null;
  solver?: string | null;
}

/** Kebechet administrator: tells the bot which package changed and which message said so (the base topic, as upstream). */
export function kebechetAdministratorRequest(subject: AdministratorSubject, baseTopic: string, source: SourceRef | null): WorkflowRequest {
  const parameters: Record<string, string> = { THOTH_PACKAGE_NAME: subject.packageName, THOTH_MESSAGE_TYPE: baseTopic };
  if (subject.packageVersion) parameters.THOTH_PACKAGE_VERSION = subject.packageVersion;
  if (subject.indexUrl) parameters.THOTH_PACKAGE_INDEX = subject.indexUrl;
  if (subject.solver) parameters.THOTH_SOLVER_NAME = subject.solver;
  return request('kebechet-administrator', parameters, source);
}

export interface AdviserOptions {
  recommendationType: string;
  dev?: boolean;
  authenticated?: boolean;
  limit?: number | null;
  count?: number | null;
  /** Goes into THOTH_ADVISER_METADATA, shaped as thoth-common writes it. */
  metadata: {
    origin: string | null;
    re_run_adviser_id: string | null;
    source_type: string | null;
    kebechet_metadata: unknown;
    justification: unknown;
    stack_info: unknown;
    extra?: Record<string, unknown>;
  };
}

export function adviserRequest(options: AdviserOptions, source: SourceRef | null): WorkflowRequest {
  const { metadata } = options;
  const parameters: Record<string, string> = {
    THOTH_ADVISER_RECOMMENDATION_TYPE: options.recommendationType,
    THOTH_ADVISER_DEV: flag(options.dev ?? false),
    THOTH_AUTHENTICATED_ADVISE: flag(options.authenticated ?? false),
    THOTH_ADVISER_METADATA: JSON.stringify({
      origin: metadata.origin,
      re_run_adviser_id: metadata.re_run_adviser_id,
      source_type: metadata.source_type,
      kebechet_metadata: metadata.kebechet_metadata ?? null,
      'thoth.adviser': { justification: metadata.justification ?? null, stack_info: metadata.stack_info ?? null },
      ...metadata.extra,
    }),
  };
  if (options.limit !== null && options.limit !== undefined) parameters.THOTH_ADVISER_LIMIT = String(options.limit);
  if (options.count !== null && options.count !== undefined) parameters.THOTH_ADVISER_COUNT = String(options.count);
  return request('adviser', parameters, source);
}

export { flag };

/**
 * The twelve workflow kinds of SPEC §4: where each runs, which upstream
 * parameters it takes (names as thoth-common's schedule_* functions send
 * them), how each value is checked, and which parameters say what package a
 * workflow is about (so the ledger can link the two).
 */
import type { NamespaceClass, WorkflowKind } from './types.js';

/** How a parameter value is checked before it may become a workflow parameter (see values.ts). */
export type ValueRule =
  | 'package-name' // PEP 508 name
  | 'version' // PEP 440 version
  | 'index-url' // http(s) URL without credentials
  | 'index-urls' // comma-separated index URLs
  | 'url' // http(s) URL without credentials (repositories, whitelisted sources)
  | 'urls' // comma-separated URLs
  | 'solver-packages' // `name===version` lines
  | 'solver-name' // solver-<os>-<os_version>-py<XY>
  | 'flag' // "0" or "1"
  | 'count' // non-negative integer
  | 'json' // a JSON document
  | 'image' // container image reference
  | 'identifier' // ids, slugs, document ids: no spaces or control characters
  | 'text' // free text (an origin as the requester wrote it): no control characters
  | 'recommendation-type'
  | 'aggregation-function'
  | 'environment-type'
  | 'message-type'
  | 'service-name';

export interface ParameterSpec {
  name: string;
  rule: ValueRule;
  required?: boolean;
  /** Filled in when the request leaves the parameter out, so both spell the same workflow. */
  default?: string;
}

/** Which parameters name the package a workflow is about. */
export interface PackageParameters {
  name?: string;
  version?: string;
  index?: string;
  /** THOTH_SOLVER_PACKAGES: name and version from one `name===version` value. */
  solverPackages?: string;
  /** A comma list whose first entry is the index. */
  indexes?: string;
}

export interface KindSpec {
  kind: WorkflowKind;
  namespaceClass: NamespaceClass;
  /** The WorkflowTemplate under deploy/argo/ that the Workflow references. */
  templateName: string;
  parameters: ParameterSpec[];
  /** Parameters whose values make the readable part of the name, in order. */
  readable: string[];
  packageParameters?: PackageParameters;
  /** At least one of these must be given (build-analysis has nothing to do otherwise). */
  requiresOneOf?: string[];
  /** Environment variables of the template's container that may only come from a Secret. */
  secretEnv?: string[];
}

const p = (name: string, rule: ValueRule, extra: Partial<ParameterSpec> = {}): ParameterSpec => ({ name, rule, ...extra });
const required = { required: true };

const ADVISER_METADATA = p('THOTH_ADVISER_METADATA', 'json', { default: '{}' });

const SPECS: KindSpec[] = [
  {
    kind: 'solver',
    namespaceClass: 'middletier',
    templateName: 'thoth-solver',
    parameters: [
      p('THOTH_SOLVER_NAME', 'solver-name', required),
      p('THOTH_SOLVER_PACKAGES', 'solver-packages', required),
      p('THOTH_SOLVER_INDEXES', 'index-urls', required),
      p('THOTH_SOLVER_DEPENDENCY_INDEXES', 'index-urls', { default: '' }),
      // Upstream's investigator asks for the package alone, not its dependencies.
      p('THOTH_SOLVER_NO_TRANSITIVE', 'flag', { default: '1' }),
      p('THOTH_FORCE_SYNC', 'flag', { default: '0' }),
    ],
    readable: ['THOTH_SOLVER_PACKAGES', 'THOTH_SOLVER_NAME'],
    packageParameters: { solverPackages: 'THOTH_SOLVER_PACKAGES', indexes: 'THOTH_SOLVER_INDEXES' },
  },
  {
    kind: 'revsolver',
    namespaceClass: 'middletier',
    templateName: 'thoth-revsolver',
    parameters: [p('THOTH_REVSOLVER_PACKAGE_NAME', 'package-name', required), p('THOTH_REVSOLVER_PACKAGE_VERSION', 'version', required)],
    readable: ['THOTH_REVSOLVER_PACKAGE_NAME', 'THOTH_REVSOLVER_PACKAGE_VERSION'],
    packageParameters: { name: 'THOTH_REVSOLVER_PACKAGE_NAME', version: 'THOTH_REVSOLVER_PACKAGE_VERSION' },
  },
  {
    kind: 'security-indicators',
    namespaceClass: 'middletier',
    templateName: 'thoth-security-indicators',
    parameters: [
      p('THOTH_SECURITY_INDICATORS_PACKAGE_NAME', 'package-name', required),
      p('THOTH_SECURITY_INDICATORS_PACKAGE_VERSION', 'version', required),
      p('THOTH_SECURITY_INDICATORS_PACKAGE_INDEX', 'index-url', required),
      p('THOTH_SECURITY_INDICATORS_AGGREGATION_FUNCTION', 'aggregation-function', { default: 'process_data' }),
    ],
    readable: ['THOTH_SECURITY_INDICATORS_PACKAGE_NAME', 'THOTH_SECURITY_INDICATORS_PACKAGE_VERSION'],
    packageParameters: {
      name: 'THOTH_SECURITY_INDICATORS_PACKAGE_NAME',
      version: 'THOTH_SECURITY_INDICATORS_PACKAGE_VERSION',
      index: 'THOTH_SECURITY_INDICATORS_PACKAGE_INDEX',
    },
  },
  {
    kind: 'adviser',
    namespaceClass: 'backend',
    templateName: 'thoth-adviser',
    parameters: [
      p('THOTH_ADVISER_RECOMMENDATION_TYPE', 'recommendation-type', required),
      p('THOTH_ADVISER_DEV', 'flag', { default: '0' }),
      p('THOTH_AUTHENTICATED_ADVISE', 'flag', { default: '0' }),
      p('THOTH_ADVISER_LIMIT', 'count'),
      p('THOTH_ADVISER_COUNT', 'count'),
      ADVISER_METADATA,
    ],
    readable: ['THOTH_ADVISER_RECOMMENDATION_TYPE'],
  },
  {
    kind: 'provenance-checker',
    namespaceClass: 'backend',
    templateName: 'thoth-provenance-checker',
    parameters: [
      ADVISER_METADATA,
      p('THOTH_AUTHENTICATED_PROVENANCE_CHECK', 'flag', { default: '0' }),
      p('THOTH_WHITELISTED_SOURCES', 'urls', { default: '' }),
    ],
    readable: [],
  },
  {
    kind: 'package-extract',
    namespaceClass: 'middletier',
    templateName: 'thoth-package-extract',
    parameters: [
      p('THOTH_ANALYZED_IMAGE', 'image', required),
      p('THOTH_ANALYZER_NO_TLS_VERIFY', 'flag', { default: '0' }),
      p('THOTH_SYNC_PACKAGE_EXTRACT', 'flag', { default: '0' }),
      p('THOTH_PACKAGE_EXTRACT_METADATA', 'json', { default: '{}' }),
    ],
    readable: ['THOTH_ANALYZED_IMAGE'],
    secretEnv: ['THOTH_REGISTRY_CREDENTIALS'],
  },
  {
    kind: 'build-analysis',
    namespaceClass: 'middletier',
    templateName: 'thoth-build-analysis',
    parameters: [
      p('THOTH_BUILD_ANALYSIS_BASE_IMAGE', 'image', { default: '' }),
      p('THOTH_BUILD_ANALYSIS_BASE_IMAGE_ANALYSIS_ID', 'identifier', { default: '' }),
      p('THOTH_BUILD_ANALYSIS_BASE_REGISTRY_NO_TLS_VERIFY', 'flag', { default: '0' }),
      p('THOTH_BUILD_ANALYSIS_OUTPUT_IMAGE', 'image', { default: '' }),
      p('THOTH_BUILD_ANALYSIS_OUTPUT_IMAGE_ANALYSIS_ID', 'identifier', { default: '' }),
      p('THOTH_BUILD_ANALYSIS_OUTPUT_REGISTRY_NO_TLS_VERIFY', 'flag', { default: '0' }),
      p('THOTH_BUILD_ANALYSIS_BUILDLOG_DOCUMENT_ID', 'identifier', { default: '' }),
      p('THOTH_BUILD_ANALYSIS_BUILDLOG_PARSER_ID', 'identifier', { default: '' }),
      p('THOTH_BUILD_ANALYSIS_ENVIRONMENT_TYPE', 'environment-type', { default: 'runtime' }),
      p('THOTH_BUILD_ANALYSIS_ORIGIN', 'text', { default: '' }),
    ],
    readable: ['THOTH_BUILD_ANALYSIS_OUTPUT_IMAGE', 'THOTH_BUILD_ANALYSIS_BASE_IMAGE'],
    requiresOneOf: ['THOTH_BUILD_ANALYSIS_BASE_IMAGE', 'THOTH_BUILD_ANALYSIS_OUTPUT_IMAGE', 'THOTH_BUILD_ANALYSIS_BUILDLOG_DOCUMENT_ID'],
    secretEnv: ['THOTH_BUILD_ANALYSIS_BASE_REGISTRY_CREDENTIALS', 'THOTH_BUILD_ANALYSIS_OUTPUT_REGISTRY_CREDENTIALS'],
  },
  {
    kind: 'graph-sync',
    namespaceClass: 'middletier',
    templateName: 'thoth-graph-sync',
    parameters: [p('THOTH_SYNC_DOCUMENT_ID', 'identifier', required), p('THOTH_FORCE_SYNC', 'flag', { default: '0' })],
    readable: ['THOTH_SYNC_DOCUMENT_ID'],
  },
  {
    kind: 'kebechet',
    namespaceClass: 'backend',
    templateName: 'thoth-kebechet',
    parameters: [p('WEBHOOK_PAYLOAD', 'json', required), p('KEBECHET_SLUG', 'identifier', { default: '' })],
    readable: ['KEBECHET_SLUG'],
  },
  {
    kind: 'kebechet-run-url',
    namespaceClass: 'backend',
    templateName: 'thoth-kebechet-run-url',
    parameters: [
      p('KEBECHET_REPO_URL', 'url', required),
      p('KEBECHET_SERVICE_NAME', 'service-name', { default: 'github' }),
      p('KEBECHET_METADATA', 'json', { default: '{}' }),
    ],
    readable: ['KEBECHET_REPO_URL'],
  },
  {
    kind: 'kebechet-administrator',
    namespaceClass: 'backend',
    templateName: 'thoth-kebechet-administrator',
    parameters: [
      p('THOTH_PACKAGE_NAME', 'package-name', required),
      p('THOTH_PACKAGE_VERSION', 'version', { default: '' }),
      p('THOTH_PACKAGE_INDEX', 'index-url', { default: '' }),
      p('THOTH_SOLVER_NAME', 'solver-name', { default: '' }),
      p('THOTH_MESSAGE_TYPE', 'message-type', required),
    ],
    readable: ['THOTH_PACKAGE_NAME', 'THOTH_PACKAGE_VERSION'],
    packageParameters: { name: 'THOTH_PACKAGE_NAME', version: 'THOTH_PACKAGE_VERSION', index: 'THOTH_PACKAGE_INDEX' },
  },
  {
    kind: 'repo-init',
    namespaceClass: 'backend',
    templateName: 'thoth-repo-init',
    parameters: [p('PROJECT_URL', 'url', required)],
    readable: ['PROJECT_URL'],
  },
];

export const KIND_SPECS: ReadonlyMap<WorkflowKind, KindSpec> = new Map(SPECS.map((spec) => [spec.kind, spec]));

export function kindSpec(kind: WorkflowKind): KindSpec {
  return KIND_SPECS.get(kind)!;
}

/** Secret references arrive as two parameters: the Secret's name and the key inside it. */
export function secretParameterNames(env: string): { secret: string; key: string } {
  return { secret: `${env}_SECRET`, key: `${env}_SECRET_KEY` };
}

export interface WorkflowPackage {
  packageName: string | null;
  packageVersion: string | null;
  indexUrl: string | null;
}

/** The package a (validated, normalised) parameter set is about, for the ledger; nulls where the kind does not say. */
export function packageOf(kind: WorkflowKind, parameters: Record<string, string>): WorkflowPackage | null {
  const spec = kindSpec(kind).packageParameters;
  if (!spec) return null;
  const value = (name?: string) => (name && parameters[name]) || null;
  if (spec.solverPackages) {
    const [name, version] = (parameters[spec.solverPackages] ?? '').split('\n')[0].split('===');
    const firstIndex = (value(spec.indexes) ?? '').split(',')[0] || null;
    return { packageName: name || null, packageVersion: version || null, indexUrl: firstIndex };
  }
  return { packageName: value(spec.name), packageVersion: value(spec.version), indexUrl: value(spec.index) };
}

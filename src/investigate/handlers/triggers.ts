/**
 * User-facing triggers (SPEC §3): each schedules its matching workflow with
 * thoth-common's parameters. Registry credentials never become parameters:
 * the workflow gets a reference to the operator's credentials Secret, keyed
 * by registry host, and the password in the message is dropped.
 */
import { PermanentError } from '../../core/errors.js';
import type { WorkflowRequest } from '../../workflows/types.js';
import { schedule, type Effect } from '../effects.js';
import { ERROR_CLASS, bool, checkMetadataPackageFields, requireField, str, type Handler, type HandlerInput } from './common.js';
import { adviserRequest, flag } from './requests.js';

function one(input: HandlerInput, request: Omit<WorkflowRequest, 'source'>, reason: string): Effect[] {
  return [schedule({ ...request, source: input.source }, reason, input.typeName)];
}

function int(input: HandlerInput, field: string): number | null {
  const value = input.message[field];
  return typeof value === 'number' ? value : null;
}

export const adviserTrigger: Handler = (input) => {
  const m = input.message;
  checkMetadataPackageFields(m.kebechet_metadata, 'kebechet_metadata');
  const request = adviserRequest(
    {
      recommendationType: requireField(m, 'recommendation_type', input.typeName),
      dev: bool(m, 'dev', false),
      authenticated: bool(m, 'authenticated', false),
      limit: int(input, 'limit'),
      count: int(input, 'count'),
      metadata: {
        origin: str(m, 'origin'),
        re_run_adviser_id: str(m, 're_run_adviser_id'),
        source_type: str(m, 'source_type'),
        kebechet_metadata: m.kebechet_metadata ?? null,
        justification: m.justification ?? null,
        stack_info: m.stack_info ?? null,
      },
    },
    input.source,
  );
  return [schedule(request, 'advice was requested', input.typeName)];
};

/** The advice run that failed for lack of knowledge, scheduled again; it keeps the id of the run it repeats. */
export const adviserReRun: Handler = (input) => {
  const m = input.message;
  const github: Record<string, unknown> = {};
  for (const field of ['github_event_type', 'github_check_run_id', 'github_installation_id', 'github_base_repo_url']) {
    if (m[field] !== null && m[field] !== undefined) github[field] = m[field];
  }
  const reRunOf = requireField(m, 're_run_adviser_id', input.typeName);
  const request = adviserRequest(
    {
      recommendationType: requireField(m, 'recommendation_type', input.typeName),
      metadata: {
        origin: str(m, 'origin'),
        re_run_adviser_id: reRunOf,
        source_type: str(m, 'source_type'),
        kebechet_metadata: null,
        justification: null,
        stack_info: null,
        extra: github,
      },
    },
    input.source,
  );
  return [schedule(request, `re-run of advice ${reRunOf}`, input.typeName)];
};

export const provenanceCheckerTrigger: Handler = (input) => {
  const m = input.message;
  checkMetadataPackageFields(m.kebechet_metadata, 'kebechet_metadata');
  const sources = Array.isArray(m.whitelisted_sources) ? (m.whitelisted_sources as string[]) : [];
  return one(
    input,
    {
      kind: 'provenance-checker',
      parameters: {
        THOTH_ADVISER_METADATA: JSON.stringify({
          origin: str(m, 'origin'),
          kebechet_metadata: m.kebechet_metadata ?? null,
          'thoth.adviser': { justification: m.justification ?? null, stack_info: m.stack_info ?? null },
        }),
        THOTH_AUTHENTICATED_PROVENANCE_CHECK: flag(bool(m, 'authenticated', false)),
        THOTH_WHITELISTED_SOURCES: sources.join(','),
      },
    },
    'provenance check was requested',
  );
};

/** The Secret key for images named without a registry host (`thoth:1`, `org/app`): the runtime's configured default registry. */
export const DEFAULT_REGISTRY_KEY = 'default-registry';

/**
 * The Secret key holding an image's registry credentials: the registry host of the reference (the first
 * part names a host when it has a '.' or ':' or is localhost, as container runtimes read it), else
 * DEFAULT_REGISTRY_KEY, since which registry a short name means is the runtime's setting, not thoth's.
 */
export function registryHost(image: string): string {
  const first = image.split('/')[0];
  const host = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : DEFAULT_REGISTRY_KEY;
  return host.replace(/[^-._a-zA-Z0-9]/g, '_');
}

/** The message fields that carry one registry's credentials and the image they are for. */
interface RegistryFields {
  user: string;
  password: string;
  image: string;
}

function credentialsRef(input: HandlerInput, fields: RegistryFields) {
  const m = input.message;
  const user = str(m, fields.user);
  const password = str(m, fields.password);
  if (!user && !password) return undefined;
  if (!user || !password) {
    const missing = user ? fields.password : fields.user;
    throw new PermanentError(ERROR_CLASS.invalidField, `${fields.user} and ${fields.password} go together; ${missing} is missing`);
  }
  if (!str(m, fields.image))
    throw new PermanentError(ERROR_CLASS.invalidField, `${fields.user} and ${fields.password} are given without ${fields.image}`);
  return { secret: input.config.registryCredentialsSecret, key: registryHost(str(m, fields.image)!) };
}

export const packageExtractTrigger: Handler = (input) => {
  const m = input.message;
  const image = requireField(m, 'image', input.typeName);
  const environmentType = requireField(m, 'environment_type', input.typeName);
  if (environmentType !== 'runtime' && environmentType !== 'buildtime') {
    throw new PermanentError(
      ERROR_CLASS.invalidField,
      `environment_type must be runtime or buildtime, got ${JSON.stringify(environmentType.slice(0, 40))}`,
    );
  }
  const credentials = credentialsRef(input, { user: 'registry_user', password: 'registry_password', image: 'image' });
  return one(
    input,
    {
      kind: 'package-extract',
      parameters: {
        THOTH_ANALYZED_IMAGE: image,
        THOTH_ANALYZER_NO_TLS_VERIFY: flag(!bool(m, 'verify_tls', true)),
        THOTH_SYNC_PACKAGE_EXTRACT: flag(bool(m, 'graph_sync', false)),
        THOTH_PACKAGE_EXTRACT_METADATA: JSON.stringify({
          origin: str(m, 'origin'),
          environment_type: environmentType,
          is_external: bool(m, 'is_external', true),
        }),
      },
      ...(credentials ? { secretRefs: { THOTH_REGISTRY_CREDENTIALS: credentials } } : {}),
    },
    `image ${image} was sent for analysis`,
  );
};

export const buildAnalysisTrigger: Handler = (input) => {
  const m = input.message;
  const parameters: Record<string, string> = {
    THOTH_BUILD_ANALYSIS_BASE_REGISTRY_NO_TLS_VERIFY: flag(!bool(m, 'base_registry_verify_tls', true)),
    THOTH_BUILD_ANALYSIS_OUTPUT_REGISTRY_NO_TLS_VERIFY: flag(!bool(m, 'output_registry_verify_tls', true)),
  };
  const copy: Array<[string, string]> = [
    ['base_image', 'THOTH_BUILD_ANALYSIS_BASE_IMAGE'],
    ['base_image_analysis_id', 'THOTH_BUILD_ANALYSIS_BASE_IMAGE_ANALYSIS_ID'],
    ['output_image', 'THOTH_BUILD_ANALYSIS_OUTPUT_IMAGE'],
    ['output_image_analysis_id', 'THOTH_BUILD_ANALYSIS_OUTPUT_IMAGE_ANALYSIS_ID'],
    ['buildlog_document_id', 'THOTH_BUILD_ANALYSIS_BUILDLOG_DOCUMENT_ID'],
    ['buildlog_parser_id', 'THOTH_BUILD_ANALYSIS_BUILDLOG_PARSER_ID'],
    ['environment_type', 'THOTH_BUILD_ANALYSIS_ENVIRONMENT_TYPE'],
    ['origin', 'THOTH_BUILD_ANALYSIS_ORIGIN'],
  ];
  for (const [field, parameter] of copy) {
    const value = str(m, field);
    if (value) parameters[parameter] = value;
  }
  const secretRefs: Record<string, { secret: string; key: string }> = {};
  const base = credentialsRef(input, { user: 'base_registry_user', password: 'base_registry_password', image: 'base_image' });
  const output = credentialsRef(input, { user: 'output_registry_user', password: 'output_registry_password', image: 'output_image' });
  if (base) secretRefs.THOTH_BUILD_ANALYSIS_BASE_REGISTRY_CREDENTIALS = base;
  if (output) secretRefs.THOTH_BUILD_ANALYSIS_OUTPUT_REGISTRY_CREDENTIALS = output;
  return one(input, { kind: 'build-analysis', parameters, ...(base || output ? { secretRefs } : {}) }, 'build analysis was requested');
};

export const inspectionCompleted: Handler = (input) =>
  one(
    input,
    {
      kind: 'graph-sync',
      parameters: {
        THOTH_SYNC_DOCUMENT_ID: requireField(input.message, 'inspection_id', input.typeName),
        THOTH_FORCE_SYNC: flag(bool(input.message, 'force_sync', false)),
      },
    },
    'an inspection completed',
  );

export const kebechetTrigger: Handler = (input) => {
  const payload = input.message.webhook_payload as Record<string, unknown>;
  const repository = payload?.repository as Record<string, unknown> | undefined;
  const slug = typeof repository?.full_name === 'string' ? repository.full_name : undefined;
  return one(
    input,
    { kind: 'kebechet', parameters: { WEBHOOK_PAYLOAD: JSON.stringify(payload ?? {}), ...(slug ? { KEBECHET_SLUG: slug } : {}) } },
    'a webhook arrived',
  );
};

/** Reads `metadata`, the field the message has (upstream read `kebechet_metadata`, which does not exist, and always sent null). */
export const kebechetRunUrlTrigger: Handler = (input) => {
  const m = input.message;
  checkMetadataPackageFields(m.metadata, 'metadata');
  return one(
    input,
    {
      kind: 'kebechet-run-url',
      parameters: {
        KEBECHET_REPO_URL: requireField(m, 'url', input.typeName),
        KEBECHET_SERVICE_NAME: str(m, 'service_name') || 'github',
        KEBECHET_METADATA: JSON.stringify(m.metadata ?? {}),
      },
    },
    'Kebechet was asked to run on a repository',
  );
};

export const repoInit: Handler = (input) =>
  one(
    input,
    { kind: 'repo-init', parameters: { PROJECT_URL: requireField(input.message, 'project_url', input.typeName) } },
    'a repository asked for initialisation',
  );

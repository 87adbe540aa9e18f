/**
 * The message catalogue of SPEC §2.1: each of the 20 types declared once.
 * The validator, the wire serialiser, the JSON Schema, the CLI name and the
 * TypeScript body type (MessageBody) all come from these declarations.
 * Field order is the wire order of thoth-messaging 0.16.x (after the three
 * base fields component_name, service_version, version).
 */
import { UsageError } from '../core/errors.js';
import { optional, optionalStrings, required, requiredStrings, withDefault, type BodyOf, type FieldSpec } from './fields.js';
import { shown } from '../core/quote.js';
import { didYouMean, suggestions } from '../core/suggest.js';
import { baseTopicOf } from './topics.js';

export type { FieldSpec, FieldType, NestedObjectType } from './fields.js';

export interface MessageType<Fields extends readonly FieldSpec[] = readonly FieldSpec[]> {
  /** CLI name: the last segment of the base topic, e.g. `unresolved-package`. */
  name: string;
  baseTopic: string;
  /** Default of the body's `version` field, e.g. `v1`. */
  version: string;
  /** Own fields in wire order, without the three base fields. */
  fields: Fields;
}

function define<const N extends string, const F extends readonly FieldSpec[]>(baseTopic: string, name: N, version: string, fields: F) {
  return { name, baseTopic, version, fields } as const satisfies MessageType<F>;
}

const CATALOGUE = [
  define('thoth.advise-reporter.advise-justification', 'advise-justification', 'v1', [
    ...requiredStrings('message', 'justification_type'),
    required('count', 'int'),
    required('adviser_version', 'str'),
  ]),
  define('thoth.adviser-trigger', 'adviser-trigger', 'v5', [
    required('recommendation_type', 'str'),
    withDefault('dev', 'bool', false),
    withDefault('debug', 'bool', false),
    withDefault('authenticated', 'bool', false),
    optional('count', 'int'),
    optional('limit', 'int'),
    ...optionalStrings('origin', 'job_id'),
    optional('limit_latest_versions', 'int'),
    ...optionalStrings('re_run_adviser_id', 'source_type'),
    optional('kebechet_metadata', 'object'),
    optional('justification', 'object[]'),
    optional('stack_info', 'object[]'),
  ]),
  // Removed upstream in 2021; kept from the seed article's AdviserReRunMessage (SPEC §2.1).
  define('thoth.investigator.adviser-re-run', 'adviser-re-run', 'v2', [
    ...requiredStrings('re_run_adviser_id', 'recommendation_type'),
    ...optionalStrings('origin', 'github_event_type'),
    optional('github_check_run_id', 'int'),
    optional('github_installation_id', 'int'),
    ...optionalStrings('github_base_repo_url', 'source_type'),
  ]),
  define('thoth.build-analysis-trigger', 'build-analysis-trigger', 'v1', [
    ...optionalStrings('base_image', 'base_image_analysis_id', 'buildlog_document_id', 'buildlog_parser_id', 'environment_type'),
    withDefault('debug', 'bool', false),
    ...optionalStrings('job_id', 'origin', 'output_image', 'output_image_analysis_id', 'base_registry_password', 'base_registry_user'),
    withDefault('base_registry_verify_tls', 'bool', true),
    ...optionalStrings('output_registry_password', 'output_registry_user'),
    withDefault('output_registry_verify_tls', 'bool', true),
  ]),
  define('thoth.cve-update.cve-provided', 'cve-provided', 'v1', requiredStrings('package_name', 'package_version', 'index_url')),
  define('thoth.package-update.hash-mismatch', 'hash-mismatch', 'v1', [
    ...requiredStrings('index_url', 'package_name', 'package_version'),
    required('missing_from_source', 'str[]'),
    required('missing_from_database', 'str[]'),
  ]),
  define('thoth.inspection-completed', 'inspection-completed', 'v1', [
    required('inspection_id', 'str'),
    withDefault('force_sync', 'bool', false),
  ]),
  define('thoth.kebechet-run-url-trigger', 'kebechet-run-url-trigger', 'v2', [
    ...optionalStrings('url', 'service_name', 'installation_id', 'job_id'),
    withDefault(
      'metadata',
      { object: [optional('message_justification', 'int'), ...optionalStrings('package_name', 'package_version', 'package_index')] },
      {},
    ),
  ]),
  define('thoth.kebechet-trigger', 'kebechet-trigger', 'v1', [required('webhook_payload', 'object'), optional('job_id', 'str')]),
  define('thoth.package-update.missing-package', 'missing-package', 'v1', requiredStrings('index_url', 'package_name')),
  define(
    'thoth.package-update.missing-package-version',
    'missing-package-version',
    'v1',
    requiredStrings('index_url', 'package_name', 'package_version'),
  ),
  define('thoth.package-extract-trigger', 'package-extract-trigger', 'v2', [
    ...requiredStrings('image', 'environment_type'),
    withDefault('is_external', 'bool', true),
    withDefault('verify_tls', 'bool', true),
    withDefault('debug', 'bool', false),
    ...optionalStrings('job_id', 'origin', 'registry_user', 'registry_password'),
    withDefault('graph_sync', 'bool', false),
  ]),
  define(
    'thoth.package-release.package-released',
    'package-released',
    'v1',
    requiredStrings('index_url', 'package_name', 'package_version'),
  ),
  define('thoth.provenance-checker-trigger', 'provenance-checker-trigger', 'v4', [
    withDefault('debug', 'bool', false),
    withDefault('authenticated', 'bool', false),
    optional('origin', 'str'),
    optional('whitelisted_sources', 'str[]'),
    optional('job_id', 'str'),
    optional('kebechet_metadata', 'object'),
    optional('justification', 'object[]'),
    optional('stack_info', 'object[]'),
  ]),
  define('thoth.repo-init', 'repo-init', 'v1', [required('project_url', 'str'), optional('job_id', 'str')]),
  define(
    'thoth.investigator.si-unanalyzed-package',
    'si-unanalyzed-package',
    'v1',
    requiredStrings('package_name', 'package_version', 'index_url'),
  ),
  define('thoth.solver.solved-package', 'solved-package', 'v1', requiredStrings('package_name', 'package_version', 'index_url', 'solver')),
  define('thoth.investigator.unresolved-package', 'unresolved-package', 'v1', [
    ...requiredStrings('package_name', 'index_url'),
    ...optionalStrings('package_version', 'solver'),
  ]),
  define('thoth.investigator.unrevsolved-package', 'unrevsolved-package', 'v1', requiredStrings('package_name', 'package_version')),
  define('thoth.update-provides-source-distro', 'update-provides-source-distro', 'v1', [
    ...requiredStrings('package_name', 'package_version', 'index_url'),
    required('value', 'bool'),
  ]),
] as const;

export const MESSAGE_TYPES: readonly MessageType[] = CATALOGUE;

/** The recommendation types upstream's adviser knows (adviser-trigger's recommendation_type, the thoth-recommendation-type header). */
export const RECOMMENDATION_TYPES: readonly string[] = ['latest', 'stable', 'testing', 'performance', 'security'];

/** CLI names of every message type, in catalogue order. */
export type MessageName = (typeof CATALOGUE)[number]['name'];

/** The three fields every body starts with. */
export interface BaseFields {
  component_name: string;
  service_version: string;
  version: string;
}

/** The validated body of a message type: base fields, then every own field (unset optionals null). */
export type MessageBody<N extends MessageName> = BaseFields & BodyOf<Extract<(typeof CATALOGUE)[number], { name: N }>['fields']>;

export const MESSAGE_NAMES: readonly string[] = MESSAGE_TYPES.map((t) => t.name);

/**
 * A message type by CLI name, base topic, or deployment-prefixed
 * topic. Without a deployment name, any `<prefix>.<base topic>` matches.
 */
export function findMessageType(nameOrTopic: string, deploymentName?: string): MessageType | undefined {
  const byName = MESSAGE_TYPES.find((t) => t.name === nameOrTopic || t.baseTopic === nameOrTopic);
  if (byName) return byName;
  if (deploymentName !== undefined) {
    const base = baseTopicOf(nameOrTopic, deploymentName);
    return MESSAGE_TYPES.find((t) => t.baseTopic === base);
  }
  return MESSAGE_TYPES.find((t) => nameOrTopic.endsWith(`.${t.baseTopic}`));
}

/** A message type by CLI name or base topic; a UsageError listing the known names otherwise. */
export function messageType(name: string): MessageType {
  const found = MESSAGE_TYPES.find((t) => t.name === name || t.baseTopic === name);
  if (found) return found;
  throw unknownMessageType(name);
}

/** The error for a name that is no message type: the names it may mean, plus the full list. */
export function unknownMessageType(name: string): UsageError {
  return new UsageError(
    `unknown message type ${shown(name)}${didYouMean(suggestions(name, MESSAGE_NAMES))}`,
    `known types: ${MESSAGE_NAMES.join(', ')}`,
  );
}

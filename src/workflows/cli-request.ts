/**
 * Turns what a person types (`thoth submit solver requests==2.25.1 -p K=V`,
 * or `-f workflow.yaml`) into a WorkflowRequest. The positional package
 * fills the kind's package parameters, the environment supplies the solver
 * and index the way the investigator would, and -p overrides anything.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { UsageError, UserError } from '../cli/errors.js';
import { defaultIndexUrl } from '../cli/index-url.js';
import { parsePackageSpec } from '../messages/package-spec.js';
import { KIND_SPECS, kindSpec } from './kinds.js';
import { WORKFLOW_KINDS, type WorkflowKind, type WorkflowRequest } from './types.js';

import { DEFAULT_SOLVERS } from '../investigate/config.js';

export interface CliRequestInput {
  kind: string;
  packageSpec?: string;
  /** `KEY=VALUE` strings from -p. */
  parameters: string[];
  /** `ENV=secret:key` strings from --secret. */
  secrets: string[];
  solver?: string;
  indexUrl?: string;
  force: boolean;
}

export function parseKind(kind: string): WorkflowKind {
  if ((WORKFLOW_KINDS as readonly string[]).includes(kind)) return kind as WorkflowKind;
  throw new UsageError(`unknown workflow kind ${JSON.stringify(kind)}`, `kinds: ${WORKFLOW_KINDS.join(', ')}`);
}

function keyValue(text: string, flag: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new UsageError(`${flag} takes KEY=VALUE (got ${JSON.stringify(text)})`);
  return [text.slice(0, at), text.slice(at + 1)];
}

/** Which parameters a `name==version` operand fills, per kind. */
const PACKAGE_SLOTS: Partial<Record<WorkflowKind, { name: string; version: string; index?: string }>> = {
  revsolver: { name: 'THOTH_REVSOLVER_PACKAGE_NAME', version: 'THOTH_REVSOLVER_PACKAGE_VERSION' },
  'security-indicators': {
    name: 'THOTH_SECURITY_INDICATORS_PACKAGE_NAME',
    version: 'THOTH_SECURITY_INDICATORS_PACKAGE_VERSION',
    index: 'THOTH_SECURITY_INDICATORS_PACKAGE_INDEX',
  },
  'kebechet-administrator': { name: 'THOTH_PACKAGE_NAME', version: 'THOTH_PACKAGE_VERSION', index: 'THOTH_PACKAGE_INDEX' },
};

function indexFor(input: CliRequestInput, env: NodeJS.ProcessEnv, required: boolean): string | undefined {
  if (input.indexUrl) return input.indexUrl;
  const found = defaultIndexUrl(env);
  if (found || !required) return found?.url;
  throw new UserError(
    'no index URL for the package: none of --index-url, THOTH_INDEX_URLS, PIP_INDEX_URL or pip.conf index-url is set',
    'pass --index-url https://index.example/simple',
  );
}

function packageParameters(kind: WorkflowKind, input: CliRequestInput, env: NodeJS.ProcessEnv): Record<string, string> {
  if (!input.packageSpec) return {};
  const { name, version } = parsePackageSpec(input.packageSpec);
  if (kind === 'solver') {
    if (!version) throw new UserError(`the solver needs an exact version: ${name}==VERSION`);
    const solver = input.solver ?? (env.THOTH_SOLVERS ?? '').split(',').map((s) => s.trim()).filter(Boolean)[0] ?? DEFAULT_SOLVERS[0]!;
    return { THOTH_SOLVER_NAME: solver, THOTH_SOLVER_PACKAGES: `${name}===${version}`, THOTH_SOLVER_INDEXES: indexFor(input, env, true)! };
  }
  const slots = PACKAGE_SLOTS[kind];
  if (!slots) {
    throw new UsageError(`${kind} workflows take no package operand`, `give their parameters with -p: ${kindSpec(kind).parameters.map((p) => p.name).join(', ')}`);
  }
  const out: Record<string, string> = { [slots.name]: name };
  if (version) out[slots.version] = version;
  if (slots.index) {
    const requiredIndex = kindSpec(kind).parameters.find((p) => p.name === slots.index)?.required ?? false;
    const index = indexFor(input, env, requiredIndex);
    if (index) out[slots.index] = index;
  }
  return out;
}

function secretRefs(secrets: string[]): WorkflowRequest['secretRefs'] {
  if (secrets.length === 0) return undefined;
  const refs: NonNullable<WorkflowRequest['secretRefs']> = {};
  for (const text of secrets) {
    const [env, ref] = keyValue(text, '--secret');
    const [secret, key] = ref.split(':');
    if (!secret || !key) throw new UsageError(`--secret takes ENV=SECRET_NAME:KEY (got ${JSON.stringify(text)})`);
    refs[env] = { secret, key };
  }
  return refs;
}

export function requestFromCli(input: CliRequestInput, env: NodeJS.ProcessEnv): WorkflowRequest {
  const kind = parseKind(input.kind);
  const parameters = packageParameters(kind, input, env);
  for (const text of input.parameters) {
    const [name, value] = keyValue(text, '-p');
    parameters[name] = value;
  }
  return { kind, parameters, force: input.force, secretRefs: secretRefs(input.secrets) };
}

/**
 * A Workflow file: accepted when it references one of thoth's
 * WorkflowTemplates, and then scheduled like any other request (same
 * validation, same deterministic name; its own metadata.name is not used).
 */
export function requestFromFile(path: string, force: boolean): { request: WorkflowRequest; namespace?: string } {
  let document: unknown;
  try {
    document = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UserError(`cannot read workflow file ${path}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  const wf = document as { apiVersion?: unknown; kind?: unknown; metadata?: { namespace?: unknown }; spec?: Record<string, unknown> } | null;
  if (!wf || wf.apiVersion !== 'argoproj.io/v1alpha1' || wf.kind !== 'Workflow') {
    throw new UserError(`${path} is not an argoproj.io/v1alpha1 Workflow`);
  }
  const templateName = (wf.spec?.workflowTemplateRef as { name?: unknown } | undefined)?.name;
  const spec = [...KIND_SPECS.values()].find((s) => s.templateName === templateName);
  if (!spec) {
    throw new UserError(
      `${path} must reference one of thoth's WorkflowTemplates in spec.workflowTemplateRef.name (got ${JSON.stringify(templateName ?? null)})`,
      `templates: ${[...KIND_SPECS.values()].map((s) => s.templateName).join(', ')}`,
    );
  }
  const extra = Object.keys(wf.spec ?? {}).filter((key) => key !== 'workflowTemplateRef' && key !== 'arguments');
  if (extra.length) throw new UserError(`${path}: spec.${extra[0]} is not accepted; thoth submits only template references with arguments`);
  const parameters: Record<string, string> = {};
  const list = ((wf.spec?.arguments as { parameters?: unknown } | undefined)?.parameters ?? []) as Array<{ name?: unknown; value?: unknown }>;
  for (const p of Array.isArray(list) ? list : []) {
    if (typeof p?.name !== 'string') throw new UserError(`${path}: every spec.arguments.parameters entry needs a name`);
    parameters[p.name] = p.value === undefined || p.value === null ? '' : String(p.value);
  }
  const namespace = typeof wf.metadata?.namespace === 'string' ? wf.metadata.namespace : undefined;
  return { request: { kind: spec.kind, parameters, force }, namespace };
}

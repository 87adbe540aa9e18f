/**
 * Turns what a person types (`thoth submit solver requests==2.25.1 -p K=V`,
 * or `-f workflow.yaml`) into a WorkflowRequest. The positional package
 * fills the kind's package parameters, the settings supply the solver and
 * index the way the investigator would, and -p overrides anything.
 * Workflow files (-f) are read by workflow-file.ts.
 */
import { UsageError, UserError } from '../core/errors.js';
import { parsePackageSpec } from '../messages/package-spec.js';
import { nestingBeyond, tooDeepReason } from '../messages/json-depth.js';
import { isSecretField } from '../messages/secrets.js';
import { kindSpec } from './kinds.js';
import { WORKFLOW_KINDS, type WorkflowKind, type WorkflowRequest } from './types.js';

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

/** What the settings supply when the flags do not: the first solver (THOTH_SOLVERS), the default index. */
export interface RequestDefaults {
  solvers: readonly string[];
  /** Asked for only when a package kind needs an index and --index-url gave none. */
  indexUrl(): string | undefined;
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

/** The path of the first password-named field holding a value in a JSON document, if any. */
function secretFieldIn(value: unknown, path: string, depth: number): string | undefined {
  if (typeof value !== 'object' || value === null || depth > 600) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const at = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    if (!Array.isArray(value) && isSecretField(key) && item !== null && item !== '') return at;
    const inner = secretFieldIn(item, at, depth + 1);
    if (inner) return inner;
  }
  return undefined;
}

/**
 * `-p NAME=VALUE`: a value whose JSON carries a password is refused. Parameters are
 * stored in the workflow, the ledger and Argo's UI for anyone to read; a secret
 * belongs in a Kubernetes Secret, handed in with --secret.
 */
function parameter(text: string): [string, string] {
  const [name, value] = keyValue(text, '-p');
  const trimmed = value.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    if (nestingBeyond(trimmed) !== undefined) throw new UsageError(`-p ${name}: ${tooDeepReason()}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      return [name, value];
    }
    const field = secretFieldIn(parsed, '', 0);
    if (field !== undefined) {
      throw new UsageError(
        `-p ${name}: the value carries a password field (${field}); a parameter is stored in the workflow and the ledger for anyone to read`,
        `put the password in a Kubernetes Secret and pass it with --secret ENV=SECRET_NAME:KEY`,
      );
    }
  }
  return [name, value];
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

function indexFor(input: CliRequestInput, defaults: RequestDefaults, required: boolean): string | undefined {
  if (input.indexUrl) return input.indexUrl;
  const found = defaults.indexUrl();
  if (found || !required) return found;
  throw new UserError(
    'no index URL for the package: none of --index-url, THOTH_INDEX_URLS, PIP_INDEX_URL or pip.conf index-url is set',
    'pass --index-url https://index.example/simple',
  );
}

function packageParameters(kind: WorkflowKind, input: CliRequestInput, defaults: RequestDefaults): Record<string, string> {
  if (!input.packageSpec) return {};
  const { name, version } = parsePackageSpec(input.packageSpec);
  if (kind === 'solver') {
    if (!version) throw new UserError(`the solver needs an exact version: ${name}==VERSION`);
    const solver = input.solver ?? defaults.solvers[0];
    return {
      THOTH_SOLVER_NAME: solver,
      THOTH_SOLVER_PACKAGES: `${name}===${version}`,
      THOTH_SOLVER_INDEXES: indexFor(input, defaults, true)!,
    };
  }
  const slots = PACKAGE_SLOTS[kind];
  if (!slots) {
    throw new UsageError(
      `${kind} workflows take no package operand`,
      `give their parameters with -p: ${kindSpec(kind)
        .parameters.map((p) => p.name)
        .join(', ')}`,
    );
  }
  const out: Record<string, string> = { [slots.name]: name };
  if (version) out[slots.version] = version;
  if (slots.index) {
    const requiredIndex = kindSpec(kind).parameters.find((p) => p.name === slots.index)?.required ?? false;
    const index = indexFor(input, defaults, requiredIndex);
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

export function requestFromCli(input: CliRequestInput, defaults: RequestDefaults): WorkflowRequest {
  const kind = parseKind(input.kind);
  const parameters = packageParameters(kind, input, defaults);
  for (const text of input.parameters) {
    const [name, value] = parameter(text);
    parameters[name] = value;
  }
  return { kind, parameters, force: input.force, secretRefs: secretRefs(input.secrets) };
}

/** `-p KEY=VALUE` and `--secret` on top of a request from a file, as `argo submit -f wf.yaml -p KEY=VALUE` does. */
export function withOverrides(request: WorkflowRequest, overrides: { parameters: string[]; secrets: string[] }): WorkflowRequest {
  const parameters = { ...request.parameters };
  for (const text of overrides.parameters) {
    const [name, value] = parameter(text);
    parameters[name] = value;
  }
  return { ...request, parameters, secretRefs: secretRefs(overrides.secrets) ?? request.secretRefs };
}

/**
 * Builds the argoproj.io/v1alpha1 Workflow for a request (SPEC §4): checks
 * every parameter against its kind's rules, fills defaults, and names the
 * workflow deterministically from kind + parameters.
 */
import { PermanentError } from '../core/errors.js';
import { kindSpec, secretParameterNames } from './kinds.js';
import { idempotencyKey, randomSuffix, workflowName } from './naming.js';
import type { Workflow, WorkflowRequest } from './types.js';
import { INVALID_PARAMETER, checkSecretRef, checkValue, looksLikeCredential } from './values.js';

export const ANNOTATION_PREFIX = 'thoth-station.ninja';
export const ANNOTATIONS = {
  idempotencyKey: `${ANNOTATION_PREFIX}/idempotency-key`,
  sourceTopic: `${ANNOTATION_PREFIX}/source-topic`,
  sourcePartition: `${ANNOTATION_PREFIX}/source-partition`,
  sourceOffset: `${ANNOTATION_PREFIX}/source-offset`,
  /** Set by the Kubernetes adapter on each create call, so a 409 can tell its own lost answer from an older workflow. */
  submission: `${ANNOTATION_PREFIX}/submission`,
} as const;

export interface BuildOptions {
  namespace: string;
  /** Unused by the name (it must not depend on time); kept for callers that stamp objects. */
  now?: () => number;
  /** The unique part of a `--force` name. */
  random?: () => string;
}

interface Resolved {
  kind: WorkflowRequest['kind'];
  secretRefs: WorkflowRequest['secretRefs'];
  parameters: ReadonlyArray<{ name: string; value: string }>;
  key?: string;
}

/**
 * Requests resolved lately, by their parameters object (a request is checked when planned, when executed and
 * when built: the same object each time, in copies of the request that differ in their source only).
 */
const resolvedRequests = new WeakMap<object, Resolved>();

function resolved(request: WorkflowRequest): Resolved {
  const known = resolvedRequests.get(request.parameters);
  if (known && known.kind === request.kind && known.secretRefs === request.secretRefs) return known;
  const entry: Resolved = { kind: request.kind, secretRefs: request.secretRefs, parameters: resolve(request) };
  resolvedRequests.set(request.parameters, entry);
  return entry;
}

/** Validated, normalised parameters with defaults filled in, in the kind's declared order. */
export function resolveParameters(request: WorkflowRequest): Array<{ name: string; value: string }> {
  return resolved(request).parameters.map((p) => ({ ...p }));
}

function resolve(request: WorkflowRequest): Array<{ name: string; value: string }> {
  const spec = kindSpec(request.kind);
  const known = new Set(spec.parameters.map((p) => p.name));
  for (const name of Object.keys(request.parameters)) {
    if (looksLikeCredential(name)) {
      throw new PermanentError(
        INVALID_PARAMETER,
        `${name} looks like a credential: credentials go in a Secret reference, never a plain workflow parameter`,
      );
    }
    if (!known.has(name)) {
      throw new PermanentError(
        INVALID_PARAMETER,
        `unknown parameter ${name} for ${request.kind} workflows; known: ${[...known].join(', ')}`,
      );
    }
  }
  const out: Array<{ name: string; value: string }> = [];
  for (const parameter of spec.parameters) {
    const given = request.parameters[parameter.name];
    if (given === undefined || given === '') {
      if (parameter.required)
        throw new PermanentError(INVALID_PARAMETER, `missing required parameter ${parameter.name} for ${request.kind} workflows`);
      if (parameter.default !== undefined) out.push({ name: parameter.name, value: parameter.default });
      continue;
    }
    out.push({ name: parameter.name, value: checkValue(parameter.name, parameter.rule, given) });
  }
  if (spec.requiresOneOf && !spec.requiresOneOf.some((name) => out.some((p) => p.name === name && p.value !== ''))) {
    throw new PermanentError(INVALID_PARAMETER, `${request.kind} needs at least one of ${spec.requiresOneOf.join(', ')}`);
  }
  for (const [env, ref] of Object.entries(request.secretRefs ?? {})) {
    if (!spec.secretEnv?.includes(env)) {
      throw new PermanentError(
        INVALID_PARAMETER,
        `${request.kind} workflows take no secret ${env}; they take ${spec.secretEnv?.join(', ') || 'none'}`,
      );
    }
    checkSecretRef(env, ref);
    const names = secretParameterNames(env);
    out.push({ name: names.secret, value: ref.secret }, { name: names.key, value: ref.key });
  }
  return out;
}

export function buildWorkflow(request: WorkflowRequest, options: BuildOptions): Workflow {
  const spec = kindSpec(request.kind);
  const parameters = resolveParameters(request);
  const values = Object.fromEntries(parameters.map((p) => [p.name, p.value]));
  const key = idempotencyKeyOfRequest(request);
  const readable = spec.readable.map((name) => readablePart(name, values[name] ?? ''));
  const name = workflowName(request.kind, readable, key, request.force ? (options.random ?? randomSuffix)() : undefined);

  const annotations: Record<string, string> = { [ANNOTATIONS.idempotencyKey]: key };
  if (request.source) {
    annotations[ANNOTATIONS.sourceTopic] = request.source.topic;
    annotations[ANNOTATIONS.sourcePartition] = String(request.source.partition);
    annotations[ANNOTATIONS.sourceOffset] = String(request.source.offset);
  }
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: {
      name,
      namespace: options.namespace,
      labels: { app: 'thoth', component: request.kind },
      annotations,
    },
    spec: {
      workflowTemplateRef: { name: spec.templateName },
      arguments: { parameters },
    },
  };
}

/** What of a value reads well in a name: the package line, a solver without its prefix, a URL's path. */
function readablePart(parameter: string, value: string): string {
  if (parameter === 'THOTH_SOLVER_NAME') return value.replace(/^solver-/, '');
  if (parameter === 'THOTH_SOLVER_PACKAGES') return value.split('\n')[0].replace('===', '-');
  if (/^https?:\/\//.test(value)) return new URL(value).pathname;
  if (parameter.endsWith('_IMAGE')) return value.replace(/^.*\//, '').replace(/@.*$/, '');
  return value;
}

/** The idempotency key the workflow built for `request` carries (the same for a --force request). */
export function idempotencyKeyOfRequest(request: WorkflowRequest): string {
  const entry = resolved(request);
  entry.key ??= idempotencyKey(request.kind, Object.fromEntries(entry.parameters.map((p) => [p.name, p.value])));
  return entry.key;
}

/** The idempotency key a workflow carries, if it carries one. */
export function idempotencyKeyOf(workflow: Pick<Workflow, 'metadata'>): string | undefined {
  return workflow.metadata?.annotations?.[ANNOTATIONS.idempotencyKey];
}

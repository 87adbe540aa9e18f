/**
 * `thoth submit -f FILE` (or `-f -` for stdin): a Workflow file is accepted
 * when it references one of thoth's WorkflowTemplates, and is then scheduled
 * like any other request (same validation, same deterministic name). What
 * thoth cannot honour is refused, what it replaces is named in a warning:
 * nothing in the file is dropped without a word.
 */
import { displayText } from '../core/quote.js';
import { isMap, isScalar, isSeq, parseAllDocuments, type Document } from 'yaml';
import { UserError } from '../core/errors.js';
import { KIND_SPECS } from './kinds.js';
import type { WorkflowRequest } from './types.js';

export interface WorkflowFile {
  request: WorkflowRequest;
  namespace?: string;
  /** Fields of the file that thoth replaces with its own (shown as warnings). */
  ignored: string[];
}

/** thoth names, labels and annotates every workflow itself (deterministic name, idempotency key). */
const REPLACED_METADATA = ['name', 'generateName', 'labels', 'annotations'];

/**
 * A parameter value as the file spells it: an unquoted `3.10` stays "3.10"
 * (Argo passes parameters as strings; YAML's number reading would give 3.1).
 */
function parameterValue(node: unknown, origin: string, name: string): string {
  if (node === undefined || node === null) return '';
  if (!isScalar(node))
    throw new UserError(`${origin}: spec.arguments.parameters ${name}: the value must be a string, not a ${isSeq(node) ? 'list' : 'map'}`);
  if (node.value === null) return '';
  return node.type === 'PLAIN' && typeof node.source === 'string' ? node.source : displayText(node.value);
}

function onlyDocument(text: string, origin: string): Document {
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents) || documents.length === 0)
    throw new UserError(`${origin} is empty: it must hold one argoproj.io/v1alpha1 Workflow`);
  if (documents.length > 1) {
    throw new UserError(
      `${origin} holds ${documents.length} YAML documents: thoth submits one Workflow per file`,
      'split it, and submit each file with its own -f',
    );
  }
  const document = documents[0];
  const error = document.errors[0];
  if (error) throw new UserError(`cannot read workflow file ${origin}: ${error.message.split('\n')[0]}`);
  return document;
}

export function requestFromWorkflowFile(text: string, origin: string, force: boolean): WorkflowFile {
  const document = onlyDocument(text, origin);
  const wf = document.toJS() as {
    apiVersion?: unknown;
    kind?: unknown;
    metadata?: Record<string, unknown>;
    spec?: Record<string, unknown>;
  } | null;
  if (!wf || typeof wf !== 'object' || wf.apiVersion !== 'argoproj.io/v1alpha1' || wf.kind !== 'Workflow') {
    throw new UserError(`${origin} is not an argoproj.io/v1alpha1 Workflow`);
  }
  const reference = (wf.spec?.workflowTemplateRef ?? {}) as { name?: unknown; clusterScope?: unknown };
  const spec = [...KIND_SPECS.values()].find((s) => s.templateName === reference.name);
  if (!spec) {
    throw new UserError(
      `${origin} must reference one of thoth's WorkflowTemplates in spec.workflowTemplateRef.name (got ${JSON.stringify(reference.name ?? null)})`,
      `templates: ${[...KIND_SPECS.values()].map((s) => s.templateName).join(', ')}`,
    );
  }
  const extraReference = Object.keys(reference).find(
    (key) => key !== 'name' && !(key === 'clusterScope' && reference.clusterScope === false),
  );
  if (extraReference) {
    throw new UserError(
      `${origin}: spec.workflowTemplateRef.${extraReference} is not accepted: thoth's WorkflowTemplates are namespaced, referenced by name only`,
    );
  }
  const extra = Object.keys(wf.spec ?? {}).filter((key) => key !== 'workflowTemplateRef' && key !== 'arguments');
  if (extra.length)
    throw new UserError(`${origin}: spec.${extra[0]} is not accepted; thoth submits only template references with arguments`);

  const parameters: Record<string, string> = {};
  const list = document.getIn(['spec', 'arguments', 'parameters'], true);
  if (list !== undefined && list !== null && !isSeq(list))
    throw new UserError(`${origin}: spec.arguments.parameters must be a list of {name, value}`);
  for (const item of isSeq(list) ? list.items : []) {
    const name = isMap(item) ? item.get('name') : undefined;
    if (typeof name !== 'string') throw new UserError(`${origin}: every spec.arguments.parameters entry needs a name`);
    parameters[name] = parameterValue((item as { get(key: string, keepScalar: true): unknown }).get('value', true), origin, name);
  }
  const ignored = REPLACED_METADATA.filter((key) => wf.metadata?.[key] !== undefined).map((key) => `metadata.${key}`);
  const namespace = typeof wf.metadata?.namespace === 'string' ? wf.metadata.namespace : undefined;
  return { request: { kind: spec.kind, parameters, force }, namespace, ignored };
}

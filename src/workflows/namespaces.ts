/**
 * Which namespace a workflow goes to (SPEC §4): `--namespace` puts every kind
 * in one; otherwise the kind's class picks THOTH_MIDDLETIER_NAMESPACE or
 * THOTH_BACKEND_NAMESPACE (or their flags).
 */
import { UserError } from '../cli/errors.js';
import { kindSpec } from './kinds.js';
import type { NamespaceClass, WorkflowKind } from './types.js';

export interface NamespaceOptions {
  /** Every kind in this namespace. */
  namespace?: string;
  middletierNamespace?: string;
  backendNamespace?: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

const VARIABLE: Record<NamespaceClass, string> = {
  middletier: 'THOTH_MIDDLETIER_NAMESPACE',
  backend: 'THOTH_BACKEND_NAMESPACE',
};

export function checkNamespace(namespace: string, from: string): string {
  if (!DNS_LABEL.test(namespace)) {
    throw new UserError(`invalid namespace ${JSON.stringify(namespace)} (from ${from}): a namespace is a DNS-1123 label (lower case letters, digits and '-', at most 63 characters)`);
  }
  return namespace;
}

export function namespaceFor(kind: WorkflowKind, options: NamespaceOptions, env: NodeJS.ProcessEnv): string {
  if (options.namespace) return checkNamespace(options.namespace, '--namespace');
  const namespaceClass = kindSpec(kind).namespaceClass;
  const variable = VARIABLE[namespaceClass];
  const flagValue = namespaceClass === 'middletier' ? options.middletierNamespace : options.backendNamespace;
  if (flagValue) return checkNamespace(flagValue, `--${namespaceClass}-namespace`);
  const fromEnv = env[variable];
  if (fromEnv) return checkNamespace(fromEnv, variable);
  throw new UserError(
    `no namespace for ${kind} workflows (a ${namespaceClass} kind)`,
    `pass --namespace NS, or set ${variable}`,
  );
}

/**
 * Which namespace a workflow goes to (SPEC §4): `--namespace` puts every kind
 * in one; otherwise the kind's class picks THOTH_MIDDLETIER_NAMESPACE or
 * THOTH_BACKEND_NAMESPACE (or their flags); otherwise, like kubectl and argo,
 * the kubeconfig context's namespace (in a cluster: the service account's).
 */
import { UserError } from '../core/errors.js';
import { kindSpec } from './kinds.js';
import type { FallbackNamespaceSource, NamespaceClass, WorkflowKind } from './types.js';

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
    throw new UserError(
      `invalid namespace ${JSON.stringify(namespace)} (from ${from}): a namespace is a DNS-1123 label (lower case letters, digits and '-', at most 63 characters)`,
    );
  }
  return namespace;
}

/** The namespaces the settings name per class (THOTH_MIDDLETIER_NAMESPACE, THOTH_BACKEND_NAMESPACE). */
export type ClassNamespaces = Partial<Record<NamespaceClass, string>>;

/** What a flag or variable says, or undefined when neither does. */
export function configuredNamespace(kind: WorkflowKind, options: NamespaceOptions, fromSettings: ClassNamespaces): string | undefined {
  if (options.namespace) return checkNamespace(options.namespace, '--namespace');
  const namespaceClass = kindSpec(kind).namespaceClass;
  const variable = VARIABLE[namespaceClass];
  const flagValue = namespaceClass === 'middletier' ? options.middletierNamespace : options.backendNamespace;
  if (flagValue) return checkNamespace(flagValue, `--${namespaceClass}-namespace`);
  const fromVariable = fromSettings[namespaceClass];
  if (fromVariable) return checkNamespace(fromVariable, variable);
  return undefined;
}

export function namespaceFor(
  kind: WorkflowKind,
  options: NamespaceOptions,
  fromSettings: ClassNamespaces,
  fallback?: FallbackNamespaceSource,
): string {
  const configured = configuredNamespace(kind, options, fromSettings);
  if (configured) return configured;
  if (fallback) return checkNamespace(fallback.namespace, fallback.from);
  const namespaceClass = kindSpec(kind).namespaceClass;
  throw new UserError(
    `no namespace for ${kind} workflows (a ${namespaceClass} kind)`,
    `pass --namespace NS, set ${VARIABLE[namespaceClass]}, or set a namespace in the kubeconfig context`,
  );
}

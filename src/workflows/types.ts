/**
 * Shared shapes for Argo Workflows (SPEC §4): what the builders produce, what
 * the Kubernetes adapter (src/kube/client.ts, the one file that imports
 * @kubernetes/client-node) accepts, and what scheduling returns. The
 * investigator and `thoth submit` both schedule through
 * src/workflows/schedule.ts.
 */
import type { SourceRef } from '../store/types.js';

export const WORKFLOW_KINDS = [
  'solver',
  'revsolver',
  'security-indicators',
  'adviser',
  'provenance-checker',
  'package-extract',
  'build-analysis',
  'graph-sync',
  'kebechet',
  'kebechet-run-url',
  'kebechet-administrator',
  'repo-init',
] as const;

export type WorkflowKind = (typeof WORKFLOW_KINDS)[number];

export type NamespaceClass = 'middletier' | 'backend';

/** What to schedule: a kind and its upstream-named parameters. */
export interface WorkflowRequest {
  kind: WorkflowKind;
  /** Upstream parameter names (THOTH_SOLVER_NAME, ...) to string values; validated by the builder. */
  parameters: Record<string, string>;
  /** The message that caused it, recorded in annotations and the ledger. */
  source?: SourceRef | null;
  /** A deliberate re-run: a unique name instead of the deterministic one. */
  force?: boolean;
  /** Secret references for credentials (never plain parameters): env name -> {secret, key}. */
  secretRefs?: Record<string, { secret: string; key: string }>;
}

export interface WorkflowMetadata {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  uid?: string;
  creationTimestamp?: string;
  resourceVersion?: string;
}

export interface WorkflowNodeStatus {
  id?: string;
  name?: string;
  displayName?: string;
  type?: string;
  phase?: string;
  message?: string;
}

export interface WorkflowStatusBlock {
  /** Argo's phases, or whatever a newer Argo reports (kept as it is). */
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error' | (string & Record<never, never>);
  message?: string;
  startedAt?: string | null;
  finishedAt?: string | null;
  nodes?: Record<string, WorkflowNodeStatus>;
}

/** argoproj.io/v1alpha1 Workflow as thoth builds and reads it. */
export interface Workflow {
  apiVersion: 'argoproj.io/v1alpha1';
  kind: 'Workflow';
  metadata: WorkflowMetadata;
  spec: Record<string, unknown> & {
    workflowTemplateRef?: { name: string };
    arguments?: { parameters?: Array<{ name: string; value: string }> };
  };
  status?: WorkflowStatusBlock;
}

export type CreateOutcome =
  /** Kubernetes created it now. */
  | 'created'
  /** 409 AlreadyExists and the existing object carries the same idempotency key. */
  | 'exists';

/** A namespace the cluster configuration supplies, and where from (for notices and errors). */
export interface FallbackNamespaceSource {
  namespace: string;
  from: string;
}

export interface KubeClient {
  /** `context@server` for notices; never holds credentials. */
  readonly description: string;
  /** The namespace kubectl would use: the current context's (in a cluster, the service account's); undefined when it sets none. */
  readonly defaultNamespace?: FallbackNamespaceSource;
  /** Creates the workflow; 409 with a matching idempotency annotation resolves as 'exists'. Retries transient failures. */
  createWorkflow(
    workflow: Workflow,
    options?: { dryRun?: boolean; signal?: AbortSignal },
  ): Promise<{ outcome: CreateOutcome; workflow: Workflow }>;
  getWorkflow(namespace: string, name: string, signal?: AbortSignal): Promise<Workflow | undefined>;
  /** Calls onChange with each new state until the workflow completes or the signal aborts; re-watches on timeout. */
  watchWorkflow(namespace: string, name: string, onChange: (workflow: Workflow) => void, signal: AbortSignal): Promise<Workflow>;
  /** Workflows labelled app=thoth in phase Pending (or no phase yet) in the namespace. */
  countPending(namespace: string): Promise<number>;
  /**
   * The workflows labelled app=thoth in the namespace, with their status, read page by page; `unfinished`: only
   * those Argo has not marked completed (its workflows.argoproj.io/completed label).
   */
  listWorkflows(namespace: string, options?: { unfinished?: boolean }): Promise<Workflow[]>;
  /** What `thoth doctor` asks the API server (absent on clients that cannot). */
  readonly diagnostics?: KubeDiagnostics;
}

export interface KubeDiagnostics {
  /** The API server's version, and its clock (the Date header of the answer), in ms since the epoch. */
  server(): Promise<{ version: string; date?: number }>;
  /** The resources served under group/version (discovery); undefined when the API server does not serve it. */
  resources(group: string, version: string): Promise<string[] | undefined>;
  /** SelfSubjectAccessReview: may this identity do `verb` on group/resource in the namespace. */
  canI(verb: string, group: string, resource: string, namespace: string): Promise<boolean>;
}

/** What scheduling one workflow ended in. */
export interface ScheduleResult {
  name: string;
  kind: WorkflowKind;
  namespace: string;
  outcome:
    | 'created' // created on the cluster
    | 'exists' // the cluster already had it (409 with matching key)
    | 'recorded' // --workflows record: written to the ledger only
    | 'known'; // the ledger says it was scheduled before: nothing sent
  workflow: Workflow;
}

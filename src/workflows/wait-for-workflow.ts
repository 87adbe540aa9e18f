/**
 * The wait/watch helper `thoth submit --wait | --watch` uses (and anything
 * that later waits on a workflow): follow the workflow to completion, report
 * progress, and say why it failed.
 */
import type { KubeClient, Workflow, WorkflowNodeStatus } from './types.js';

export interface WaitResult {
  workflow: Workflow;
  phase: string;
  /** Set when the workflow ended Failed or Error: the failing node and its message. */
  failure?: { node?: string; message: string };
  /** The time limit passed first: `workflow` is the last state seen. */
  timedOut?: boolean;
}

export async function waitForWorkflow(
  kube: KubeClient,
  namespace: string,
  name: string,
  options: { signal: AbortSignal; onChange?: (workflow: Workflow) => void; timeoutMs?: number },
): Promise<WaitResult> {
  let last: Workflow | undefined;
  const onChange = (workflow: Workflow) => {
    last = workflow;
    options.onChange?.(workflow);
  };
  if (options.timeoutMs === undefined) return finished(await kube.watchWorkflow(namespace, name, onChange, options.signal));
  // The time limit aborts the watch like Ctrl-C would; which of the two fired decides what it means.
  const limit = new AbortController();
  const timer = setTimeout(() => limit.abort(), options.timeoutMs);
  const onCallerAbort = () => limit.abort();
  options.signal.addEventListener('abort', onCallerAbort, { once: true });
  try {
    return finished(await kube.watchWorkflow(namespace, name, onChange, limit.signal));
  } catch (error) {
    if (!limit.signal.aborted || options.signal.aborted) throw error;
    const workflow = last ?? (await kube.getWorkflow(namespace, name, options.signal));
    if (!workflow) throw error;
    return { workflow, phase: workflow.status?.phase ?? 'Pending', timedOut: true };
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', onCallerAbort);
  }
}

function finished(workflow: Workflow): WaitResult {
  const phase = workflow.status?.phase ?? 'Unknown';
  return { workflow, phase, failure: phase === 'Succeeded' ? undefined : failureOf(workflow) };
}

/** `Running (2/3 nodes done)`, `no phase (not picked up by a controller)`: what a waiting person last saw. */
export function describePhase(workflow: Workflow): string {
  const status = workflow.status;
  if (!status?.phase) return 'no phase (no workflow controller has picked it up)';
  const nodes = Object.values(status.nodes ?? {}).filter((n) => n.type === 'Pod');
  const done = nodes.filter((n) => n.phase === 'Succeeded').length;
  return `phase ${status.phase}${nodes.length ? ` (${done}/${nodes.length} steps done)` : ''}${status.message ? `: ${status.message}` : ''}`;
}

export function nodeLabel(node: WorkflowNodeStatus): string | undefined {
  return node.displayName ?? node.name ?? node.id;
}

/** The node that failed first with a message (pods before step groups), else the workflow's own message. */
export function failureOf(workflow: Workflow): { node?: string; message: string } {
  const nodes = Object.values(workflow.status?.nodes ?? {});
  const failed = nodes.filter((n) => (n.phase === 'Failed' || n.phase === 'Error') && n.message);
  const pick = failed.find((n) => n.type === 'Pod') ?? failed[0];
  if (pick) return { node: nodeLabel(pick), message: pick.message! };
  return { message: workflow.status?.message || `workflow ended ${workflow.status?.phase ?? 'without a phase'}` };
}

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
}

export async function waitForWorkflow(
  kube: KubeClient,
  namespace: string,
  name: string,
  options: { signal: AbortSignal; onChange?: (workflow: Workflow) => void },
): Promise<WaitResult> {
  const workflow = await kube.watchWorkflow(namespace, name, options.onChange ?? (() => {}), options.signal);
  const phase = workflow.status?.phase ?? 'Unknown';
  return { workflow, phase, failure: phase === 'Succeeded' ? undefined : failureOf(workflow) };
}

function nodeLabel(node: WorkflowNodeStatus): string | undefined {
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

/** Phase and per-node lines, as `--watch` shows them. */
export function progressLines(workflow: Workflow): string[] {
  const status = workflow.status ?? {};
  const nodes = Object.values(status.nodes ?? {}).filter((n) => n.type !== 'DAG' && n.type !== 'Steps' && n.type !== 'StepGroup');
  const done = nodes.filter((n) => n.phase === 'Succeeded').length;
  const head = `${workflow.metadata.name}  ${status.phase ?? 'Pending'}${nodes.length ? `  ${done}/${nodes.length} nodes` : ''}${status.message ? `  ${status.message}` : ''}`;
  return [head, ...nodes.map((n) => `  ${(n.phase ?? 'Pending').padEnd(10)} ${nodeLabel(n) ?? '?'}${n.message ? `  ${n.message}` : ''}`)];
}

/** Redraws the progress block in place on a terminal; prints one line per change elsewhere. */
export function progressRenderer(stream: NodeJS.WritableStream & { isTTY?: boolean }): (workflow: Workflow) => void {
  let drawn = 0;
  let lastHead = '';
  return (workflow) => {
    const lines = progressLines(workflow);
    if (stream.isTTY) {
      // Up over the previous block and clear to the end of the screen: plain ANSI, no UI library.
      stream.write(`${drawn ? `\u001b[${drawn}A\u001b[0J` : ''}${lines.join('\n')}\n`);
      drawn = lines.length;
      return;
    }
    if (lines[0] !== lastHead) stream.write(`${lines[0]}\n`);
    lastHead = lines[0]!;
  };
}

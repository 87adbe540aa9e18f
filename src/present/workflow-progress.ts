/** How `thoth submit --watch` shows a workflow while it runs: its phase and one line per node, on stderr. */
import type { Workflow } from '../workflows/types.js';
import { nodeLabel } from '../workflows/wait-for-workflow.js';

/**
 * Nodes that only group others: a template with a retryStrategy (every one of deploy/argo's) runs
 * its pod under a Retry node, so counting both would show one step as "0/2 nodes".
 */
const GROUPING_NODES: ReadonlySet<string> = new Set(['DAG', 'Steps', 'StepGroup', 'TaskGroup', 'Retry']);

/** Phase and per-node lines, as `--watch` shows them. */
export function progressLines(workflow: Workflow): string[] {
  const status = workflow.status ?? {};
  const nodes = Object.values(status.nodes ?? {}).filter((n) => !GROUPING_NODES.has(n.type ?? ''));
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

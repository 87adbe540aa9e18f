import { describe, expect, it } from 'vitest';
import type { Workflow, WorkflowNodeStatus } from '../../src/workflows/types.js';
import { progressRenderer } from '../../src/present/workflow-progress.js';
import { failureOf } from '../../src/workflows/wait-for-workflow.js';

const workflow = (phase: string, nodes: Record<string, WorkflowNodeStatus> = {}, message?: string): Workflow => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  metadata: { name: 'solver-x-0123456789', namespace: 'thoth', labels: {}, annotations: {} },
  spec: {},
  status: { phase, nodes, message },
});

function stream(isTTY: boolean) {
  let text = '';
  return { isTTY, write: (chunk: string) => ((text += chunk), true), text: () => text } as unknown as NodeJS.WritableStream & {
    isTTY: boolean;
    text(): string;
  };
}

describe('failureOf', () => {
  it('names the failed pod before the step group that contains it', () => {
    const failed = workflow('Failed', {
      a: { displayName: 'solver-x-0123456789', type: 'Steps', phase: 'Failed', message: 'child failed' },
      b: { displayName: 'solve', type: 'Pod', phase: 'Failed', message: 'OOMKilled' },
    });
    expect(failureOf(failed)).toEqual({ node: 'solve', message: 'OOMKilled' });
  });

  it("falls back to the workflow's own message", () => {
    expect(failureOf(workflow('Error', {}, 'pod deleted'))).toEqual({ message: 'pod deleted' });
  });
});

describe('progressRenderer', () => {
  it('redraws the block in place on a terminal', () => {
    const out = stream(true);
    const render = progressRenderer(out);
    render(workflow('Running', { p: { displayName: 'solve', type: 'Pod', phase: 'Running' } }));
    render(workflow('Succeeded', { p: { displayName: 'solve', type: 'Pod', phase: 'Succeeded' } }));
    expect(out.text()).toContain('\u001b[2A\u001b[0J');
    expect(out.text()).toContain('solver-x-0123456789  Succeeded  1/1 nodes');
  });

  it('counts a retried step once: its pod, not the Retry node around it (as Argo reports a template with a retryStrategy)', () => {
    const out = stream(true);
    progressRenderer(out)(
      workflow('Running', {
        s: { displayName: 'solver-x-0123456789', type: 'Steps', phase: 'Running' },
        g: { displayName: '[0]', type: 'StepGroup', phase: 'Running' },
        r: { displayName: 'revsolver', type: 'Retry', phase: 'Running' },
        p: { displayName: 'revsolver(0)', type: 'Pod', phase: 'Running' },
      }),
    );
    expect(out.text()).toBe('solver-x-0123456789  Running  0/1 nodes\n  Running    revsolver(0)\n');
  });

  it('prints one plain line per phase change elsewhere', () => {
    const out = stream(false);
    const render = progressRenderer(out);
    render(workflow('Running'));
    render(workflow('Running'));
    render(workflow('Failed', {}, 'boom'));
    expect(out.text()).toBe('solver-x-0123456789  Running\nsolver-x-0123456789  Failed  boom\n');
  });
});

import { describe, expect, it } from 'vitest';
import { presentFinished, presentResult } from '../../src/present/submit.js';
import type { Workflow } from '../../src/workflows/types.js';

const workflow: Workflow = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  metadata: { name: 'solver-x', namespace: 'thoth', labels: { app: 'thoth' }, annotations: {} },
  spec: { workflowTemplateRef: { name: 'solver' }, arguments: { parameters: [{ name: 'THOTH_FORCE_SYNC', value: 'yes' }] } },
};

describe('thoth submit output', () => {
  it.each([
    ['created', undefined, 'workflow.argoproj.io/solver-x created\n'],
    ['exists', undefined, 'workflow.argoproj.io/solver-x unchanged\n'],
    ['known', undefined, 'workflow.argoproj.io/solver-x unchanged\n'],
    ['recorded', undefined, 'workflow.argoproj.io/solver-x recorded\n'],
    ['created', 'client', 'workflow.argoproj.io/solver-x created (dry run)\n'],
    ['created', 'server', 'workflow.argoproj.io/solver-x created (server dry run)\n'],
  ] as const)('names a workflow %s (%s) as kubectl does', (outcome, dryRun, expected) => {
    expect(presentResult({ name: 'solver-x', outcome, workflow }, 'name', dryRun)).toBe(expected);
  });

  it('quotes YAML 1.1 booleans, so kubectl reads a parameter "yes" as a string', () => {
    expect(presentResult({ name: 'solver-x', outcome: 'created', workflow }, 'yaml')).toBe(
      [
        'apiVersion: argoproj.io/v1alpha1',
        'kind: Workflow',
        'metadata:',
        '  name: solver-x',
        '  namespace: thoth',
        '  labels:',
        '    app: thoth',
        '  annotations: {}',
        'spec:',
        '  workflowTemplateRef:',
        '    name: solver',
        '  arguments:',
        '    parameters:',
        '      - name: THOTH_FORCE_SYNC',
        '        value: "yes"',
        '',
      ].join('\n'),
    );
  });

  it('says how a waited-for workflow ended', () => {
    expect(presentFinished({ name: 'solver-x', outcome: 'created', workflow }, 'Succeeded', 'name')).toBe(
      'workflow.argoproj.io/solver-x Succeeded\n',
    );
    expect(JSON.parse(presentFinished({ name: 'solver-x', outcome: 'created', workflow }, 'Failed', 'json'))).toEqual(workflow);
  });
});

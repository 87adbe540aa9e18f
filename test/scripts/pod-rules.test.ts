/**
 * How the loopback kubelet (scripts/kube/kubelet.mjs) picks a pod's outcome from the rule files
 * that test/support/cluster.ts setPodOutcome writes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_DELAY_MS, podFacts, ruleFor, rulesDir } from '../../scripts/kube/pod-rules.mjs';

/** A pod as Argo's controller makes it: a wait container carrying ARGO_TEMPLATE, a main container with the template's env. */
function argoPod(namespace: string, workflow: string, template: string, env: Record<string, string>) {
  return {
    metadata: { namespace, name: `${workflow}-${template}-1`, labels: { 'workflows.argoproj.io/workflow': workflow } },
    spec: {
      containers: [
        { name: 'wait', env: [{ name: 'ARGO_TEMPLATE', value: JSON.stringify({ name: template, container: { image: 'x' } }) }] },
        {
          name: 'main',
          env: [
            ...Object.entries(env).map(([name, value]) => ({ name, value })),
            { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
          ],
        },
      ],
    },
  };
}

const dirs: string[] = [];
function stateWith(rules: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'thoth-pod-rules-'));
  dirs.push(dir);
  mkdirSync(rulesDir(dir));
  for (const [file, rule] of Object.entries(rules))
    writeFileSync(join(rulesDir(dir), file), typeof rule === 'string' ? rule : JSON.stringify(rule));
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('pod outcome rules', () => {
  const facts = podFacts(argoPod('ns-a', 'solver-six-1', 'solver', { THOTH_SOLVER_PACKAGES: 'six===1.16.0' }));

  it('reads namespace, workflow, template and the main container variables from an Argo pod', () => {
    expect(facts).toEqual({
      namespace: 'ns-a',
      workflow: 'solver-six-1',
      template: 'solver',
      env: { THOTH_SOLVER_PACKAGES: 'six===1.16.0' },
    });
  });

  it('succeeds after the default delay when no rule matches', () => {
    expect(ruleFor(stateWith({ '1.json': { namespace: 'ns-b', outcome: 'Failed' } }), facts)).toEqual({
      outcome: 'Succeeded',
      delayMs: DEFAULT_DELAY_MS,
    });
  });

  it('matches on every field given, each a regular expression but the namespace', () => {
    const state = stateWith({
      '1.json': {
        namespace: 'ns-a',
        workflow: '^solver-',
        template: '^solver$',
        env: { THOTH_SOLVER_PACKAGES: '^six===' },
        outcome: 'Failed',
        exitCode: 2,
      },
      '2.json': { namespace: 'ns-a', env: { THOTH_SOLVER_PACKAGES: '^flask' }, outcome: 'Running' },
      '3.json': { namespace: 'ns-a', env: { NOT_SET: '.*' }, outcome: 'Running' },
    });
    expect(ruleFor(state, facts)).toMatchObject({ outcome: 'Failed', exitCode: 2, file: '1.json' });
  });

  it('lets the newest matching rule win and skips an unreadable one, saying so', () => {
    const warnings: string[] = [];
    const state = stateWith({
      '1.json': { namespace: 'ns-a', outcome: 'Failed' },
      '2.json': { namespace: 'ns-a', outcome: 'Running' },
      '3.json': '{ half a rule',
    });
    expect(ruleFor(state, facts, (w: string) => warnings.push(w))).toMatchObject({ outcome: 'Running', file: '2.json' });
    expect(warnings).toEqual([expect.stringMatching(/^skipping pod rule 3\.json/)]);
  });
});

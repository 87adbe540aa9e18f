/**
 * deploy/workflow-executor/role.yaml against the real API server: the identity workflow pods run
 * as (thoth-workflow) may create and patch WorkflowTaskResults, which is how Argo >= 3.4's executor
 * reports a step, and nothing else. The loopback kubelet reports as argoexec's wait container
 * does (create, then patch it complete) with a TokenRequest token bound to the pod, and fails
 * the wait container when the API refuses, as argoexec does; the real controller decides the rest.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import {
  applyDeploy,
  createNamespace,
  kubeconfigForToken,
  kubectl,
  kubectlOk,
  serviceAccountToken,
  waitForWorkflowPhase,
} from '../support/cluster.js';

const ROLE = parseYaml(readFileSync(new URL('../../deploy/workflow-executor/role.yaml', import.meta.url), 'utf8')) as {
  rules: Array<{ verbs: string[] }>;
};
const GRANTED = ROLE.rules[0].verbs;
const ALL_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
const TIMEOUT = 120_000;

interface TaskResult {
  metadata: { labels: Record<string, string> };
}

/** Runs one thoth-repo-init workflow in a namespace whose executor Role grants `verbs`. */
async function runWorkflow(verbs: string[]) {
  const namespace = await createNamespace('rbac-exec');
  await applyDeploy(namespace, { executorVerbs: verbs, containerCommand: ['/bin/true'] });
  await kubectlOk(['create', '-f', '-'], {
    input: stringify({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { name: 'repo-init', namespace },
      spec: {
        workflowTemplateRef: { name: 'thoth-repo-init' },
        arguments: { parameters: [{ name: 'PROJECT_URL', value: 'https://git.example/a/b' }] },
      },
    }),
  });
  const workflow = await waitForWorkflowPhase(namespace, 'repo-init', ['Succeeded', 'Failed', 'Error'], 90_000);
  const results = (JSON.parse(await kubectlOk(['get', 'workflowtaskresults', '-n', namespace, '-o', 'json'])) as { items: TaskResult[] })
    .items;
  const messages = Object.values(workflow.status?.nodes ?? {})
    .map((node) => node.message ?? '')
    .join('\n');
  return { phase: workflow.status?.phase, results, messages };
}

const completed = (result: TaskResult) => result.metadata.labels['workflows.argoproj.io/report-outputs-completed'];

describe('the workflow executor Role, with the pod ServiceAccount token', () => {
  it('allows exactly its verbs on workflowtaskresults.argoproj.io and nothing else', { timeout: TIMEOUT }, async () => {
    const namespace = await createNamespace('rbac-exec-can');
    await applyDeploy(namespace);
    const kubeconfig = kubeconfigForToken(await serviceAccountToken(namespace, 'thoth-workflow'), namespace);
    const canI = async (...args: string[]) => (await kubectl(['auth', 'can-i', ...args], { kubeconfig })).stdout.trim();
    for (const verb of ALL_VERBS) {
      expect(await canI(verb, 'workflowtaskresults.argoproj.io', '-n', namespace), verb).toBe(GRANTED.includes(verb) ? 'yes' : 'no');
    }
    for (const resource of ['pods', 'secrets', 'configmaps', 'workflows.argoproj.io']) {
      expect(await canI('get', resource, '-n', namespace), resource).toBe('no');
    }
  });

  it('with the Role as shipped, the step reports its completed task result and the workflow succeeds', { timeout: TIMEOUT }, async () => {
    const run = await runWorkflow(GRANTED);
    expect(run.phase).toBe('Succeeded');
    expect(run.results.map(completed)).toEqual(['true']);
  });

  it('the Role grants create and patch, the two calls the executor makes', () => {
    expect([...GRANTED].sort()).toEqual(['create', 'patch']);
  });

  describe.concurrent('without each verb in turn, the workflow no longer succeeds', () => {
    it('without create: no task result can be made, the wait container fails with the API refusal', { timeout: TIMEOUT }, async () => {
      const run = await runWorkflow(GRANTED.filter((v) => v !== 'create'));
      expect(run.phase).not.toBe('Succeeded');
      expect(run.results).toEqual([]);
      expect(run.messages).toMatch(/wait: Error \(exit code 1\).*cannot create resource "workflowtaskresults"/);
    });

    it('without patch: the task result is made but never marked complete', { timeout: TIMEOUT }, async () => {
      const run = await runWorkflow(GRANTED.filter((v) => v !== 'patch'));
      expect(run.phase).not.toBe('Succeeded');
      expect(run.results.length).toBeGreaterThan(0);
      expect(run.results.every((result) => completed(result) === 'false')).toBe(true);
    });
  });
});

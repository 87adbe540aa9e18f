/**
 * The loopback cluster itself (scripts/kube.mjs): a real kube-apiserver, Argo's full-schema CRDs,
 * Argo's own controller moving workflows to their real phases through the loopback kubelet, and
 * the controller's network namespace holding it to loopback.
 */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  apiGet,
  applyDeploy,
  createNamespace,
  kubectl,
  kubectlOk,
  noRightsKubeconfig,
  setPodOutcome,
  waitForWorkflowPhase,
} from '../support/cluster.js';

const TIMEOUT = 120_000;

/** A Workflow of the thoth-repo-init template (the smallest of deploy/argo) with a name of its own. */
function repoInit(namespace: string, name: string, projectUrl: string) {
  return stringify({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name, namespace, labels: { app: 'thoth', component: 'repo-init' } },
    spec: { workflowTemplateRef: { name: 'thoth-repo-init' }, arguments: { parameters: [{ name: 'PROJECT_URL', value: projectUrl }] } },
  });
}

interface Crd {
  spec: { versions: Array<{ name: string; served: boolean; schema: { openAPIV3Schema: Record<string, any> } }> };
  status: { conditions: Array<{ type: string; status: string }> };
}

describe('the loopback cluster', () => {
  it('serves Kubernetes v1.35.4 and answers /readyz', async () => {
    expect((await kubectlOk(['get', '--raw', '/readyz'])).trim()).toBe('ok');
    const version = JSON.parse(await kubectlOk(['version', '-o', 'json'])) as {
      serverVersion: { gitVersion: string };
      clientVersion: { gitVersion: string };
    };
    expect(version.serverVersion.gitVersion).toBe('v1.35.4');
    expect(version.clientVersion.gitVersion).toBe('v1.35.4');
  });

  it('authenticates the no-rights user and lets RBAC refuse it everything', async () => {
    const ns = await createNamespace('smoke-nobody');
    const whoami = JSON.parse(await kubectlOk(['auth', 'whoami', '-o', 'json'], { kubeconfig: noRightsKubeconfig() })) as {
      status: { userInfo: { username: string; groups: string[] } };
    };
    expect(whoami.status.userInfo).toMatchObject({ username: 'thoth-loopback-nobody', groups: ['system:authenticated'] });
    const refused = await kubectl(['get', 'workflows.argoproj.io', '-n', ns], { kubeconfig: noRightsKubeconfig() });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/User "thoth-loopback-nobody" cannot list resource "workflows" in API group "argoproj.io"/);
  });

  it("serves Argo's CRDs with their full schema", async () => {
    const schemaOf = async (plural: string) => {
      const crd = await apiGet<Crd>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${plural}.argoproj.io`);
      expect(crd, plural).toBeDefined();
      expect(crd!.status.conditions).toContainEqual(expect.objectContaining({ type: 'Established', status: 'True' }));
      return crd!.spec.versions.find((v) => v.name === 'v1alpha1' && v.served)!.schema.openAPIV3Schema;
    };
    // The "minimal" CRDs say only x-kubernetes-preserve-unknown-fields; the full ones describe every field.
    for (const plural of ['workflows', 'workflowtemplates', 'clusterworkflowtemplates']) {
      const container = (await schemaOf(plural)).properties.spec.properties.templates.items.properties.container;
      expect(container.properties.command, plural).toMatchObject({ type: 'array' });
    }
    expect((await schemaOf('workflowtaskresults')).properties.outputs.properties.parameters).toMatchObject({ type: 'array' });
    const ns = await createNamespace('smoke-schema');
    const bogus = repoInit(ns, 'bogus', 'https://git.example/a/b').replace(
      'workflowTemplateRef:',
      'noSuchField: 1\n  workflowTemplateRef:',
    );
    const refused = await kubectl(['create', '--validate=strict', '--dry-run=server', '-f', '-'], { input: bogus });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/unknown field "spec.noSuchField"/);
  });

  it(
    'runs a deploy/argo WorkflowTemplate to Succeeded through the real controller, the kubelet and the executor identity',
    { timeout: TIMEOUT },
    async () => {
      const ns = await createNamespace('smoke-ok');
      await applyDeploy(ns, { containerCommand: ['/bin/true'] });
      await kubectlOk(['create', '-f', '-'], { input: repoInit(ns, 'repo-init-ok', 'https://git.example/a/ok') });
      const workflow = await waitForWorkflowPhase(ns, 'repo-init-ok', ['Succeeded', 'Failed', 'Error'], 60_000);
      expect(workflow.status?.phase).toBe('Succeeded');
      const pods = Object.values(workflow.status?.nodes ?? {}).filter((node) => node.type === 'Pod');
      expect(pods).toHaveLength(1);
      expect(pods[0]).toMatchObject({ phase: 'Succeeded', templateName: 'repo-init' });
      // The executor (as the pod's own ServiceAccount, thoth-workflow) reported and completed its task result.
      const results = JSON.parse(await kubectlOk(['get', 'workflowtaskresults', '-n', ns, '-o', 'json'])) as {
        items: Array<{ metadata: { labels: Record<string, string> } }>;
      };
      expect(results.items).toHaveLength(1);
      expect(results.items[0].metadata.labels['workflows.argoproj.io/report-outputs-completed']).toBe('true');
    },
  );

  it('ends a workflow Failed, with the container message, when a pod rule says so', { timeout: TIMEOUT }, async () => {
    const ns = await createNamespace('smoke-fail');
    await applyDeploy(ns, { containerCommand: ['/bin/true'] });
    const removeRule = setPodOutcome({
      namespace: ns,
      env: { THOTH_DEMO_PROJECT_URL: '/gone$' },
      outcome: 'Failed',
      exitCode: 3,
      message: 'repository not found',
    });
    try {
      await kubectlOk(['create', '-f', '-'], { input: repoInit(ns, 'repo-init-gone', 'https://git.example/a/gone') });
      await kubectlOk(['create', '-f', '-'], { input: repoInit(ns, 'repo-init-there', 'https://git.example/a/there') });
      const failed = await waitForWorkflowPhase(ns, 'repo-init-gone', ['Succeeded', 'Failed', 'Error'], 60_000);
      expect(failed.status?.phase).toBe('Failed');
      const pod = Object.values(failed.status?.nodes ?? {}).find((node) => node.type === 'Pod');
      expect(pod?.message).toMatch(/exit code 3.*repository not found/);
      // The rule matched on the parameter: the other workflow of the same template succeeded.
      expect((await waitForWorkflowPhase(ns, 'repo-init-there', ['Succeeded', 'Failed', 'Error'], 60_000)).status?.phase).toBe('Succeeded');
    } finally {
      removeRule();
    }
  });

  it('keeps a workflow Running while its pod never finishes', { timeout: TIMEOUT }, async () => {
    const ns = await createNamespace('smoke-hang');
    await applyDeploy(ns, { containerCommand: ['/bin/true'] });
    const removeRule = setPodOutcome({ namespace: ns, outcome: 'Running' });
    try {
      await kubectlOk(['create', '-f', '-'], { input: repoInit(ns, 'repo-init-hang', 'https://git.example/a/hang') });
      await waitForWorkflowPhase(ns, 'repo-init-hang', ['Running'], 60_000);
      await new Promise((r) => setTimeout(r, 4000));
      expect((await waitForWorkflowPhase(ns, 'repo-init-hang', ['Running', 'Succeeded', 'Failed', 'Error'])).status?.phase).toBe('Running');
    } finally {
      removeRule();
    }
  });

  it("gives every namespace its default ServiceAccount, as kube-controller-manager's controller would", { timeout: 30_000 }, async () => {
    const ns = await createNamespace('smoke-sa');
    const deadline = Date.now() + 20_000;
    while (!(await apiGet(`/api/v1/namespaces/${ns}/serviceaccounts/default`)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(await apiGet(`/api/v1/namespaces/${ns}/serviceaccounts/default`)).toMatchObject({
      metadata: { name: 'default', namespace: ns },
    });
  });

  it(
    'holds the controller to loopback: an image it would have to look up in a registry cannot be reached',
    { timeout: TIMEOUT },
    async () => {
      const ns = await createNamespace('smoke-netns');
      const workflow = stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Workflow',
        metadata: { name: 'no-command', namespace: ns },
        spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'registry.example/thoth/none:1' } }] },
      });
      await kubectlOk(['create', '-f', '-'], { input: workflow });
      const ended = await waitForWorkflowPhase(ns, 'no-command', ['Succeeded', 'Failed', 'Error'], 60_000);
      expect(ended.status?.phase).not.toBe('Succeeded');
      const messages = Object.values(ended.status?.nodes ?? {})
        .map((node) => node.message ?? '')
        .join('\n');
      // In its network namespace there is no route, not even to a DNS server.
      expect(messages).toMatch(/failed to look-up entrypoint\/cmd for image "registry\.example\/thoth\/none:1"/);
      expect(messages).toMatch(/network is unreachable/);
    },
  );
});

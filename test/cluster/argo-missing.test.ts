/**
 * A cluster whose Argo Workflows thoth cannot use, on a throwaway kube-apiserver of this file's
 * own (etcd and the API server from the cached binaries, no Argo, no kubelet; started and stopped
 * here): Argo not installed at all (the server answers 404 in plain text), and a Workflow CRD of
 * an older Argo whose structural schema lacks `spec.workflowTemplateRef` (strict field validation
 * refuses it rather than dropping it). `thoth submit` and `thoth investigate --workflows cluster`
 * say what is wrong and what to do in one line, exit 1, and the investigator commits nothing; once
 * Argo's current CRD is installed, the next run handles the message once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argoWorkflowCrd, startBareCluster, type BareCluster } from '../support/cluster.js';
import { INDEX, ONE_SOLVER, expectNothingCommitted, expectRefusal, machine } from '../support/cluster-runs.js';
import { stringify } from 'yaml';

const TIMEOUT = 120_000;
const NAMESPACE = 'thoth';
let cluster: BareCluster;

beforeAll(async () => {
  cluster = await startBareCluster();
  await cluster.kubectl(['create', 'namespace', NAMESPACE]);
}, 90_000);
afterAll(() => cluster?.stop());

async function kubectlOk(args: string[], input?: string): Promise<string> {
  const result = await cluster.kubectl(args, { input });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** Installs `crd` as the cluster's Workflow CRD (replacing whatever is there) and waits until it is served. */
async function installWorkflowCrd(crd: Record<string, any>): Promise<void> {
  await cluster.kubectl(['delete', 'crd', 'workflows.argoproj.io', '--ignore-not-found', '--wait=true']);
  await kubectlOk(['apply', '--server-side', '-f', '-'], stringify(crd));
  // Established (kubectl wait fails at once while the status has no conditions yet), then served: what a client sees next.
  for (let i = 0; ; i++) {
    const crdNow = JSON.parse(await kubectlOk(['get', 'crd', 'workflows.argoproj.io', '-o', 'json'])) as {
      status?: { conditions?: Array<{ type: string; status: string }> };
    };
    const established = crdNow.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    if (established && (await cluster.kubectl(['get', 'workflows.argoproj.io', '-n', NAMESPACE])).code === 0) return;
    if (i > 300) throw new Error('the Workflow CRD was not served within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Argo's current Workflow CRD as an Argo from before WorkflowTemplates (2.9) had it: no spec.workflowTemplateRef. */
async function olderArgoCrd(): Promise<Record<string, any>> {
  const crd = await argoWorkflowCrd();
  for (const version of crd.spec.versions) {
    const spec = version.schema.openAPIV3Schema.properties.spec;
    expect(spec.properties).toHaveProperty('workflowTemplateRef');
    delete spec.properties.workflowTemplateRef;
  }
  return crd;
}

async function expectBothRefuse(what: RegExp, todo: RegExp): Promise<ReturnType<typeof machine>> {
  const submitter = machine({ ...ONE_SOLVER, KUBECONFIG: cluster.adminKubeconfig });
  expectRefusal(await submitter.thoth(['submit', 'revsolver', 'six==1.16.0', '--namespace', NAMESPACE]), what, todo);

  const investigator = machine({ ...ONE_SOLVER, KUBECONFIG: cluster.adminKubeconfig });
  expect((await investigator.publish('unresolved-package', 'six==1.16.0', '--index-url', INDEX)).code).toBe(0);
  const refused = await investigator.investigate(['--namespace', NAMESPACE]);
  expectRefusal(refused, what, todo);
  expect(refused.events.filter((e) => e.event === 'processed' || e.event === 'dead-letter')).toEqual([]);
  await expectNothingCommitted(investigator);
  return investigator;
}

async function expectHandledOnce(investigator: ReturnType<typeof machine>): Promise<void> {
  const again = await investigator.investigate(['--namespace', NAMESPACE]);
  expect(again.code, again.stderr).toBe(0);
  expect(again.summary?.counts).toMatchObject({ received: 1, processed: 1, deadLetters: 0, workflowsScheduled: 1 });
  expect(await investigator.query('dead-letters')).toEqual([]);
  const stored = JSON.parse(await kubectlOk(['get', 'workflows.argoproj.io', '-n', NAMESPACE, '-o', 'json'])) as {
    items: Array<{ metadata: { name: string; labels: Record<string, string> } }>;
  };
  expect(stored.items.map((w) => w.metadata.labels.component)).toContain('solver');
}

describe('Argo Workflows that thoth cannot use', () => {
  it(
    'not installed: says so (no workflows.argoproj.io API) instead of "HTTP 404", commits nothing; handled once Argo is installed',
    { timeout: TIMEOUT },
    async () => {
      await cluster.kubectl(['delete', 'crd', 'workflows.argoproj.io', '--ignore-not-found', '--wait=true']);
      const investigator = await expectBothRefuse(
        /^error: creating workflow \S+ in namespace thoth: Argo Workflows is not installed in the cluster at https:\/\/127\.0\.0\.1:\d+ \(no workflows\.argoproj\.io API\)$/,
        /^hint: install Argo Workflows \(its CRDs and controller\) in this cluster, or choose the cluster that runs it with --context$/,
      );
      await installWorkflowCrd(await argoWorkflowCrd());
      await expectHandledOnce(investigator);
    },
  );

  it(
    "an older Argo's CRD that lacks a field thoth writes: refused by strict validation and named, commits nothing; handled once the CRD is current",
    { timeout: TIMEOUT },
    async () => {
      await installWorkflowCrd(await olderArgoCrd());
      const investigator = await expectBothRefuse(
        /^error: creating workflow \S+ in namespace thoth: the cluster's Workflow CRD refuses what thoth writes \(.*unknown field "spec\.workflowTemplateRef".*\): its Argo Workflows is older than thoth needs$/,
        /^hint: upgrade Argo Workflows' CRDs/,
      );
      await installWorkflowCrd(await argoWorkflowCrd());
      await expectHandledOnce(investigator);
    },
  );
});

/**
 * `thoth submit` for each of the 12 workflow kinds against the real API server, with deploy/'s
 * WorkflowTemplates applied: a client dry run contacts nothing and shows what is then created,
 * a server dry run is validated by the server (strict fields) and stores nothing, the real
 * submit is accepted and runs to Succeeded under Argo's controller, submitting again creates
 * nothing, --force creates a second run, and -o json prints what the server stored.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { WORKFLOW_KINDS, type Workflow, type WorkflowKind } from '../../src/workflows/types.js';
import { cleanEnv, runThoth, type RunResult } from '../support/cli.js';
import {
  adminKubeconfig,
  applyDeploy,
  createNamespace,
  getWorkflow,
  kubectlOk,
  listWorkflows,
  waitForWorkflowPhase,
} from '../support/cluster.js';

const SAMPLES = JSON.parse(readFileSync(new URL('../../fixtures/workflows/requests.json', import.meta.url), 'utf8')) as Record<
  WorkflowKind,
  Record<string, string>
>;
const INDEX = 'https://index.example/simple';
const TIMEOUT = 120_000;

/** What Argo's controller and the API server change on a stored workflow after it was created (and kubectl hides managedFields). */
function withoutServerChanges(workflow: Workflow): Workflow {
  const copy = structuredClone(workflow) as Workflow & { metadata: Record<string, unknown> };
  delete copy.status;
  delete copy.metadata.resourceVersion;
  delete copy.metadata.generation;
  for (const field of ['labels', 'annotations'] as const) {
    copy.metadata[field] = Object.fromEntries(
      Object.entries(copy.metadata[field] ?? {}).filter(([k]) => !k.startsWith('workflows.argoproj.io/')),
    );
  }
  return copy;
}

let namespace: string;
let home: string;
let env: NodeJS.ProcessEnv;
const thoth = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<RunResult> => runThoth(args, { env: { ...env, ...extra } });
const parametersOf = (kind: WorkflowKind) => Object.entries(SAMPLES[kind]).flatMap(([k, v]) => ['-p', `${k}=${v}`]);
const ofKind = async (kind: WorkflowKind) => (await listWorkflows(namespace)).filter((w) => w.metadata.labels.component === kind);

beforeAll(async () => {
  namespace = await createNamespace('submit-kinds');
  await applyDeploy(namespace);
  home = mkdtempSync(join(tmpdir(), 'thoth-submit-kinds-'));
  env = cleanEnv({ HOME: home, THOTH_HOME: home, KUBECONFIG: adminKubeconfig(), THOTH_INDEX_URLS: INDEX });
});

describe.each(WORKFLOW_KINDS)('thoth submit %s against the real API server', (kind) => {
  it(
    'dry runs on the client and on the server, creates, leaves a second submit unchanged, and --force runs it again',
    { timeout: TIMEOUT },
    async () => {
      const submit = ['submit', kind, ...parametersOf(kind), '--namespace', namespace];

      // Client: no cluster needed at all.
      const client = await thoth([...submit, '--dry-run', 'client', '-o', 'json'], { KUBECONFIG: join(home, 'no-such-kubeconfig') });
      expect(client.code, client.stderr).toBe(0);
      const shown = JSON.parse(client.stdout) as Workflow;
      expect(shown.metadata.namespace).toBe(namespace);
      const name = shown.metadata.name;
      expect(await getWorkflow(namespace, name)).toBeUndefined();

      // Server: validated with strict field validation, nothing stored.
      const server = await thoth([...submit, '--dry-run', 'server']);
      expect(server.code, server.stderr).toBe(0);
      expect(server.stdout).toBe(`workflow.argoproj.io/${name} created (server dry run)\n`);
      expect(await getWorkflow(namespace, name)).toBeUndefined();

      // For real: what -o json prints is what the server stored.
      const created = await thoth([...submit, '-o', 'json']);
      expect(created.code, created.stderr).toBe(0);
      const printed = JSON.parse(created.stdout) as Workflow;
      const stored = JSON.parse(await kubectlOk(['get', 'workflow', name, '-n', namespace, '-o', 'json'])) as Workflow;
      expect(withoutServerChanges(printed)).toEqual(withoutServerChanges(stored));
      expect(printed.metadata.uid).toBe(stored.metadata.uid);
      // The server says which fields thoth set, under thoth's name.
      const owners = JSON.parse(await kubectlOk(['get', 'workflow', name, '-n', namespace, '-o', 'json', '--show-managed-fields'])) as {
        metadata: { managedFields: Array<{ manager: string; fieldsV1: Record<string, unknown> }> };
      };
      expect(owners.metadata.managedFields.find((f) => f.manager === 'thoth')?.fieldsV1).toHaveProperty([
        'f:spec',
        'f:workflowTemplateRef',
      ]);
      // The client dry run showed exactly what was created.
      expect(stored.spec).toEqual(shown.spec);
      expect(stored.metadata.labels).toMatchObject(shown.metadata.labels);
      expect(stored.metadata.annotations).toMatchObject(shown.metadata.annotations);

      // The template, its command and the parameters work under Argo's own controller.
      expect((await waitForWorkflowPhase(namespace, name, ['Succeeded', 'Failed', 'Error'])).status?.phase).toBe('Succeeded');

      const again = await thoth(submit);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toBe(`workflow.argoproj.io/${name} unchanged\n`);
      expect((await ofKind(kind)).map((w) => w.metadata.name)).toEqual([name]);

      const forced = await thoth([...submit, '--force']);
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.stdout).toMatch(new RegExp(`^workflow\\.argoproj\\.io/${name}-[a-z0-9]{5} created\\n$`));
      expect((await ofKind(kind)).map((w) => w.metadata.name).sort()).toEqual([name, forced.stdout.split(' ')[0].split('/')[1]].sort());
    },
  );
});

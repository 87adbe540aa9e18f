/**
 * deploy/investigator/role.yaml against the real API server, with the investigator
 * ServiceAccount's own token (TokenRequest): it may do exactly what the Role says, every verb
 * it grants is needed by `thoth investigate --workflows cluster` (dropping one breaks a named
 * capability), and nothing else is granted. thoth runs as the built binary, as in the pod.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { cleanEnv, spawnThoth } from '../support/cli.js';
import {
  applyDeploy,
  createNamespace,
  kubeconfigForToken,
  kubectl,
  listWorkflows,
  serviceAccountToken,
  waitForWorkflowPhase,
} from '../support/cluster.js';

const ROLE = parseYaml(readFileSync(new URL('../../deploy/investigator/role.yaml', import.meta.url), 'utf8')) as {
  rules: Array<{ verbs: string[] }>;
};
const GRANTED = ROLE.rules[0].verbs;
const ALL_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
const INDEX = 'https://index.example/simple';
const TIMEOUT = 180_000;

/** What the investigator must be able to do on a cluster, and the verb each capability rests on. */
type Capability = 'schedules' | 'recognisesOnRedelivery' | 'followsPhases';
const NEEDED_FOR: Record<string, Capability> = {
  // a Workflow for the message
  create: 'schedules',
  // a redelivered message (or a fresh ledger, e.g. the Deployment's emptyDir after a restart) meets 409; reading the existing workflow tells "already scheduled"
  get: 'recognisesOnRedelivery',
  // the phase follower lists app=thoth workflows to keep the ledger's statuses true
  list: 'followsPhases',
};

interface Summary {
  counts: { workflowsScheduled: number; workflowsKnown: number; deadLetters: number };
}

/** One investigator life against the namespace, as the ServiceAccount; returns which capabilities worked. */
async function investigatorCapabilities(verbs: string[]): Promise<Record<Capability, boolean>> {
  const namespace = await createNamespace('rbac-inv');
  await applyDeploy(namespace, { investigatorVerbs: verbs, containerCommand: ['/bin/true'] });
  const kubeconfig = kubeconfigForToken(await serviceAccountToken(namespace, 'thoth-investigator'), namespace);
  const work = mkdtempSync(join(tmpdir(), 'thoth-rbac-'));
  const env = cleanEnv({ KUBECONFIG: kubeconfig, THOTH_HOME: work });
  const thoth = (db: string, args: string[]) =>
    spawnThoth(['--db', join(work, db), '--broker', 'embedded', ...args], { env, timeoutMs: 60_000 });
  const investigate = async (db: string, idleSeconds: number) => {
    const run = await thoth(db, [
      'investigate',
      '--workflows',
      'cluster',
      '--namespace',
      namespace,
      '--until-idle',
      String(idleSeconds),
      '--solvers',
      'solver-rhel-8-py38',
      '--index-url',
      INDEX,
      '--port',
      'none',
      '-o',
      'ndjson',
    ]);
    const summary = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { event?: string } & Summary)
      .find((e) => e.event === 'summary');
    return summary?.counts ?? { workflowsScheduled: 0, workflowsKnown: 0, deadLetters: 0 };
  };
  const publish = (db: string) => thoth(db, ['publish', 'unresolved-package', 'six==1.16.0', '--index-url', INDEX]);

  await publish('first.db');
  const first = await investigate('first.db', 3);
  const created = await listWorkflows(namespace);
  const schedules = first.workflowsScheduled === 1 && created.length === 1;

  let followsPhases = false;
  if (created.length === 1) {
    await waitForWorkflowPhase(namespace, created[0].metadata.name, ['Succeeded'], 60_000);
    // No new message: this run only follows phases (a round every 5 s) until it is idle.
    await investigate('first.db', 8);
    const ledger = JSON.parse((await thoth('first.db', ['query', 'workflows', '-o', 'json'])).stdout) as Array<{
      name: string;
      status: string;
    }>;
    followsPhases = ledger.some((entry) => entry.name === created[0].metadata.name && entry.status === 'Succeeded');
  }

  await publish('fresh.db');
  const again = await investigate('fresh.db', 3);
  const recognisesOnRedelivery = again.workflowsKnown === 1 && again.deadLetters === 0 && (await listWorkflows(namespace)).length === 1;
  return { schedules, recognisesOnRedelivery, followsPhases };
}

describe('the investigator Role, with the ServiceAccount token', () => {
  it(
    'allows exactly the verbs it lists on workflows.argoproj.io, in its namespace only, and nothing else',
    { timeout: TIMEOUT },
    async () => {
      const namespace = await createNamespace('rbac-inv-can');
      const elsewhere = await createNamespace('rbac-inv-other');
      await applyDeploy(namespace);
      const kubeconfig = kubeconfigForToken(await serviceAccountToken(namespace, 'thoth-investigator'), namespace);
      const canI = async (...args: string[]) => (await kubectl(['auth', 'can-i', ...args], { kubeconfig })).stdout.trim();
      for (const verb of ALL_VERBS) {
        expect(await canI(verb, 'workflows.argoproj.io', '-n', namespace), verb).toBe(GRANTED.includes(verb) ? 'yes' : 'no');
        expect(await canI(verb, 'workflows.argoproj.io', '-n', elsewhere), `${verb} in another namespace`).toBe('no');
      }
      for (const resource of [
        'pods',
        'secrets',
        'configmaps',
        'workflowtemplates.argoproj.io',
        'workflowtaskresults.argoproj.io',
        'namespaces',
      ]) {
        expect(await canI('get', resource, '-n', namespace), resource).toBe('no');
      }
    },
  );

  it('every verb it grants has a use in thoth (this test knows what each one is for)', () => {
    expect(GRANTED.filter((verb) => !(verb in NEEDED_FOR))).toEqual([]);
  });

  it(
    'with the Role as shipped, the investigator schedules, recognises its workflow on redelivery and follows its phase',
    { timeout: TIMEOUT },
    async () => {
      expect(await investigatorCapabilities(GRANTED)).toEqual({ schedules: true, recognisesOnRedelivery: true, followsPhases: true });
    },
  );

  describe.concurrent('without each verb in turn, what it is for breaks', () => {
    for (const verb of GRANTED) {
      it(`without ${verb}: ${NEEDED_FOR[verb] ?? 'unknown use'} fails`, { timeout: TIMEOUT }, async () => {
        const capabilities = await investigatorCapabilities(GRANTED.filter((v) => v !== verb));
        expect(capabilities[NEEDED_FOR[verb]]).toBe(false);
      });
    }
  });
});

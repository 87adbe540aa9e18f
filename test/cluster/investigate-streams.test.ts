/**
 * `thoth investigate --from FILE --workflows cluster` over every recorded stream in
 * fixtures/streams/ and every scenario of fixtures/scenarios/ that schedules workflows, against
 * the real API server with deploy/'s templates: the server accepts every workflow (strict field
 * validation), the cluster holds exactly the workflows the ledger lists, with the parameters the
 * ledger has, the outcome is the one the scenario expects (the same as in record mode), and a
 * second run (the same cache, or a fresh one on another machine) creates nothing more.
 */
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Workflow } from '../../src/workflows/types.js';
import { adminKubeconfig, adminToken, applyDeploy, createNamespace, listWorkflows } from '../support/cluster.js';
import { machine, type Machine } from '../support/cluster-runs.js';
import { startIndexServer, type IndexServer } from '../support/index-server.js';
import { listScenarios, loadScenario, queriedOutcome, scenarioMismatches, type LoadedScenario } from '../investigate/scenario-harness.js';

const STREAMS = fileURLToPath(new URL('../../fixtures/streams/', import.meta.url));
const TIMEOUT = 180_000;

interface LedgerWorkflow {
  name: string;
  kind: string;
  namespace: string;
  parameters: Record<string, string>;
}

const parametersOf = (w: Workflow) => Object.fromEntries((w.spec.arguments?.parameters ?? []).map((p) => [p.name, p.value]));

/** The cluster holds exactly the ledger's workflows, each with the ledger's kind and parameters. */
async function expectClusterMatchesLedger(m: Machine, namespace: string): Promise<LedgerWorkflow[]> {
  const ledger = await m.query<LedgerWorkflow[]>('workflows');
  const onCluster = await listWorkflows(namespace);
  expect(onCluster.map((w) => w.metadata.name).sort()).toEqual(ledger.map((w) => w.name).sort());
  for (const entry of ledger) {
    const stored = onCluster.find((w) => w.metadata.name === entry.name)!;
    expect(entry.namespace).toBe(namespace);
    expect(stored.metadata.labels).toMatchObject({ app: 'thoth', component: entry.kind });
    expect(parametersOf(stored)).toEqual(entry.parameters);
  }
  return ledger;
}

async function investigateFrom(m: Machine, file: string, namespace: string) {
  const run = await m.thoth([
    'investigate',
    '--from',
    file,
    '--workflows',
    'cluster',
    '--namespace',
    namespace,
    '--kubeconfig',
    adminKubeconfig(),
    // The scenarios' dead letters are part of what they expect (compared below), not a failed run.
    '--allow-dead-letters',
    '-o',
    'ndjson',
  ]);
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout + run.stderr).not.toContain(adminToken());
  const events = run.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, any>);
  return { ...run, events, counts: events.find((e) => e.event === 'summary')?.counts as Record<string, number> };
}

describe('investigate --workflows cluster over fixtures/streams', () => {
  const streams = readdirSync(STREAMS).filter((f) => f.endsWith('.ndjson'));
  it('has streams to replay', () => expect(streams.length).toBeGreaterThan(0));

  it.each(streams)(
    '%s: every workflow accepted, the cluster as the ledger says, nothing created twice',
    { timeout: TIMEOUT },
    async (stream) => {
      const namespace = await createNamespace('streams');
      await applyDeploy(namespace);
      const file = join(STREAMS, stream);

      const recorded = machine();
      expect((await recorded.thoth(['investigate', '--from', file, '--workflows', 'record'])).code).toBe(0);
      const expected = (await recorded.query<LedgerWorkflow[]>('workflows')).map(({ kind, parameters }) => ({ kind, parameters }));
      expect(expected.length).toBeGreaterThan(0);

      const m = machine();
      const first = await investigateFrom(m, file, namespace);
      expect(first.counts).toMatchObject({ deadLetters: 0, workflowsScheduled: expected.length, retries: 0 });
      const ledger = await expectClusterMatchesLedger(m, namespace);
      // The same workflows as record mode would have written.
      expect(ledger.map(({ kind, parameters }) => ({ kind, parameters }))).toEqual(expect.arrayContaining(expected));
      expect(ledger).toHaveLength(expected.length);

      const again = await investigateFrom(m, file, namespace);
      expect(again.counts).toMatchObject({ deadLetters: 0, workflowsScheduled: 0 });
      const elsewhere = await investigateFrom(machine(), file, namespace);
      // Another machine's fresh cache meets 409 for each: already scheduled, nothing created.
      expect(elsewhere.counts).toMatchObject({ deadLetters: 0, workflowsScheduled: 0, workflowsKnown: expected.length });
      expect(await listWorkflows(namespace)).toHaveLength(expected.length);
    },
  );
});

describe('investigate --workflows cluster over fixtures/scenarios', () => {
  const servers: IndexServer[] = [];
  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  /** A scenario with its index server when it needs one (as test/investigate/scenarios.test.ts loads them). */
  async function loaded(name: string): Promise<LoadedScenario> {
    const probe = loadScenario(name);
    rmSync(dirname(probe.inputPath), { recursive: true, force: true });
    if (!probe.expected.index) return loadScenario(name);
    const server = await startIndexServer(
      Object.fromEntries(Object.entries(probe.expected.index).map(([project, versions]) => [project, { versions }])),
    );
    servers.push(server);
    return loadScenario(name, { INDEX_URL: server.url });
  }

  // Those that schedule no workflow never reach a cluster.
  const scheduling = listScenarios().filter((name) => loadScenario(name).expected.workflows.length > 0);
  it('covers the scenarios that schedule workflows', () => expect(scheduling.length).toBeGreaterThan(15));

  it.each(scheduling)('%s: the expected outcome, every workflow on the cluster', { timeout: TIMEOUT }, async (name) => {
    const scenario = await loaded(name);
    try {
      const namespace = await createNamespace('scenario');
      await applyDeploy(namespace);
      const m = machine(scenario.env);
      const run = await investigateFrom(m, scenario.inputPath, namespace);
      const outcome = {
        ...(await queriedOutcome(m.db, m.env, scenario.expected)),
        published: run.events
          .filter((e) => e.event === 'published')
          .map((e) => ({ type: e.messageType as string, message: e.message as Record<string, unknown> })),
        metrics: scenario.expected.metrics ?? [],
      };
      expect(scenarioMismatches(scenario.expected, outcome)).toEqual([]);
      expect(await expectClusterMatchesLedger(m, namespace)).toHaveLength(scenario.expected.workflows.length);
    } finally {
      rmSync(dirname(scenario.inputPath), { recursive: true, force: true });
    }
  });
});
